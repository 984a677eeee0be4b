#pragma once
// One field line as a pair of views into the caller's buffer, plus the id of the few names the
// proxy acts on, recognised once while parsing so that nobody compares names again.
#include <cstdint>
#include <string_view>

namespace fulcrum::http {

enum class HeaderId : uint8_t {
  other,
  host,
  content_length,
  transfer_encoding,
  connection,
  keep_alive,
  proxy_connection,
  te,
  trailer,
  upgrade,
  expect,
  forwarded,
  x_forwarded_for,
  x_forwarded_proto,
  x_forwarded_port,
  x_real_ip,
  x_request_id,
  via,
  cookie,
  set_cookie,
};

struct Header {
  std::string_view name;   // as received (case preserved)
  std::string_view value;  // leading and trailing OWS removed
  HeaderId id = HeaderId::other;
};

// Case-insensitive recognition of the names above; HeaderId::other for anything else.
HeaderId identify_header(std::string_view name);

// True for a name that is not Transfer-Encoding / Content-Length but normalises to one of them
// (case, delimiters, whitespace, control bytes, the UTF-8 letters that upper-case to ASCII),
// e.g. "Transfer_Encoding", "Content-Length\x01", "Tran\xC5\xBF" "fer-Encoding".
enum class LookAlike : uint8_t { none, transfer_encoding, content_length };
LookAlike framing_look_alike(std::string_view name);

}  // namespace fulcrum::http
