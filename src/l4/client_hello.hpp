#pragma once
// Reads the server name (SNI) of a TLS ClientHello without decrypting anything, for `protocol:
// tls` passthrough listeners (HAProxy's req.ssl_sni). Incremental: call it with every byte the
// client has sent so far; a ClientHello split over several TCP segments, or over several TLS
// records, is reassembled. Strict: anything that is not a well-formed TLS handshake beginning
// with a ClientHello is refused with a reason for the log. No allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fulcrum::l4 {

// The largest ClientHello accepted (post-quantum key shares make them ~1.8 KB; 16 KiB is
// generous and bounds what a client can make us buffer before a target is chosen).
constexpr size_t kMaxClientHello = 16 * 1024;

enum class HelloParse { need_more, done, error };

struct ClientHelloFacts {
  char server_name[256];       // lower case, no trailing dot; valid when server_name_length > 0
  size_t server_name_length = 0;
  uint16_t legacy_version = 0;  // from the ClientHello body (0x0303 for TLS 1.2 and 1.3)
  size_t consumed = 0;          // bytes of `data` up to the end of the record holding the last piece
  std::string_view server_name_view() const { return {server_name, server_name_length}; }
};

// `data`: everything the client has sent so far. `reason` (static text) is set on error.
HelloParse parse_client_hello(std::string_view data, ClientHelloFacts& facts, const char*& reason);

// An SNI rule pattern: exact ("api.example.com"), a wildcard first label ("*.example.com", one or
// more labels before the suffix, as `host` rules) or "*" (any name, also none). Case-insensitive.
bool sni_matches(std::string_view pattern, std::string_view name);

}  // namespace fulcrum::l4
