#pragma once
// What a `protocol: https` listener terminates TLS with: its certificates (SSL_CTXs), the
// names each one serves, the policy, ALPN and session resumption. Built on the control thread,
// then shared read-only by every worker (OpenSSL's SSL_CTX is safe to share; each connection
// gets its own SSL). A reload builds a new one beside the old; connections keep the one they
// started with (each holds a reference).
//
// Certificates: each `{cert, key}` pair is read (the cert file may hold a chain after the
// leaf) and checked against its key. Pairs whose leaves name the same hosts share one SSL_CTX,
// so an RSA and an ECDSA certificate for the same names sit side by side and OpenSSL hands each
// client the one its signature algorithms accept. The client's SNI picks the SSL_CTX: exact
// name first, then a wildcard for its parent domain, else the first certificate (the default).
//
// Resumption: a session cache (SSL_SESS_CACHE_SERVER) and session tickets sealed with keys
// rotated every `ticket_rotation` (TicketKeys), both on the default SSL_CTX, so every worker
// resumes every other worker's sessions. One TLS 1.3 ticket per handshake (each one costs the
// full handshake a session encode/decode/encode, a seal and a record). TLS 1.3 sessions live
// in their tickets only (OpenSSL caches stateful sessions: TLS 1.2 and clients without tickets).
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "tls/ticket_keys.hpp"

namespace fulcrum::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

class ServerContext {
 public:
  // Reads the certificates of `tls`. `keys` may be shared with an earlier context of the same
  // listener (a reload keeps tickets valid); nullptr makes new keys. Returns nullptr with
  // `error` set ("certificate FILE: ...") when a file cannot be read or a key does not match.
  static std::shared_ptr<ServerContext> build(const config::ListenerTls& tls, std::shared_ptr<TicketKeys> keys,
                                              std::string& error);

  // A new server-side SSL for one accepted connection, on the default SSL_CTX (SNI may switch it).
  SslPtr new_connection() const;

  // The SSL_CTX serving `server_name` (lower or mixed case), the default one when none matches.
  SSL_CTX* select(std::string_view server_name) const;

  const std::shared_ptr<TicketKeys>& ticket_keys() const { return keys_; }
  // Drops expired sessions from the cache. OpenSSL would otherwise scan the whole cache on a
  // worker every 255 handshakes; the control thread calls this every few seconds instead.
  void flush_expired_sessions() const;
  size_t certificate_count() const { return certificate_count_; }
  const std::vector<std::string>& names() const { return names_; }  // every name served, for the log
  // The protocols offered by ALPN, in preference order, in wire format (length-prefixed).
  const std::vector<unsigned char>& alpn_wire() const { return alpn_wire_; }

  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

 private:
  ServerContext() = default;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<SslCtxPtr> contexts_;  // [0]: the default
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> exact_;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> wildcard_;  // by parent domain
  std::shared_ptr<TicketKeys> keys_;
  std::vector<unsigned char> alpn_wire_;
  std::vector<std::string> names_;
  size_t certificate_count_ = 0;
};

}  // namespace fulcrum::tls
