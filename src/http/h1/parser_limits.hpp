#pragma once
// Size limits of a message head. Defaults are the configuration defaults (listener keys
// max_request_line, max_header_bytes, max_headers); every limit is enforced before the parser
// looks further, so a hostile peer cannot make it scan or store more than this.
#include <cstdint>

namespace fulcrum::http {

struct ParserLimits {
  uint32_t max_request_line = 16 * 1024;  // request line or status line, CRLF included -> 414
  uint32_t max_header_bytes = 64 * 1024;  // the whole head, start line and final CRLF included -> 431
  uint32_t max_headers = 100;             // field lines -> 431
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is answered 400. Only tests that replay
  // Host-less corpora turn this off; a repeated or malformed Host is refused regardless.
  bool require_host = true;
};

}  // namespace fulcrum::http
