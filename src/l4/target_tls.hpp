#pragma once
// The TLS side of a TCP session toward a `protocol: tls` target group (TCP over TLS): the
// client's plaintext bytes go to the target as TLS records, the target's records come back to
// the client as plaintext. An SSL from the group's tls::ClientContext (verification,
// `server_name`, `ca_file`), reading and writing the target's descriptor itself, driven by the
// same edge-triggered readiness flags as the plain relay (tcp_relay.hpp):
// - a flag is cleared only when OpenSSL says it wants that readiness (it then has read or
//   written until EAGAIN and holds no buffered record), so no event can be missed;
// - a write that OpenSSL could not finish is retried with the same bytes (nothing more is
//   read into the buffer meanwhile), as SSL_write requires;
// - the end of the client's stream becomes close_notify then a half-close; the target's
//   close_notify or TCP close becomes a half-close toward the client. No splice: the bytes
//   must pass through OpenSSL.
#include <memory>
#include <string>
#include <string_view>

#include "core/buffer_pool.hpp"
#include "l4/tcp_relay.hpp"
#include "tls/client_context.hpp"

namespace fulcrum::l4 {

class TargetTls {
 public:
  // `target_host`: the target's address without port (verified against the certificate's IP
  // names when the group sets no server_name). `fd`: the connected, non-blocking socket.
  TargetTls(std::shared_ptr<const tls::ClientContext> context, std::string_view target_host, int fd);
  TargetTls(const TargetTls&) = delete;
  TargetTls& operator=(const TargetTls&) = delete;

  enum class Handshake { done, blocked, failed };
  // Advances the handshake as far as `target`'s readiness allows.
  Handshake handshake(SocketReadiness& target);
  // After a failure: why, as OpenSSL puts it, with the verification result when that failed.
  const std::string& reason() const { return reason_; }
  const char* version() const;

  // client -> target: reads plaintext from `client`, writes it as records to `target`.
  RelayDirection::Step pump_up(RelayDirection& up, SocketReadiness& client, SocketReadiness& target,
                               core::BufferPool& buffers, bool pass_half_close, size_t budget);
  // target -> client: reads records from `target`, writes the plaintext to `client`.
  RelayDirection::Step pump_down(RelayDirection& down, SocketReadiness& target, SocketReadiness& client,
                                 core::BufferPool& buffers, bool pass_half_close, size_t budget);

 private:
  enum class Wait { read, write, eof, fail };
  // Interprets a failed SSL call: the readiness it needs (clearing that flag), or the end.
  Wait after_failure(int result, SocketReadiness& target);

  std::shared_ptr<const tls::ClientContext> context_;
  tls::SslPtr ssl_;
  std::string reason_;
  // The readiness OpenSSL last asked for, when it is the other one than the direction's own
  // (a write that must first read, as after a key update; a read that must first write).
  bool up_waits_for_read_ = false;
  bool down_waits_for_write_ = false;
};

}  // namespace fulcrum::l4
