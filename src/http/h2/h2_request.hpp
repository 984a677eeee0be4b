#pragma once
// One HTTP/2 request head as its HEADERS frames delivered it (RFC 9113 §8.3), checked for what
// nghttp2 leaves to the application, and written out as an HTTP/1.1 request head: the form the
// rest of the proxy (request parser, desync classifier, routing, forwarding) already handles.
// nghttp2 itself refuses upper-case names, unknown or repeated or late pseudo-header fields,
// connection-specific fields (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding,
// Upgrade), TE other than "trailers", invalid bytes in names and values (CR, LF, NUL, ...), and
// a Content-Length the DATA frames contradict.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fulcrum::http {

struct H2Request {
  std::string method;     // :method
  std::string scheme;     // :scheme
  std::string authority;  // :authority (may be empty: then Host must be there)
  std::string path;       // :path
  // Regular fields in arrival order, names lower-case; cookie crumbs stay separate here.
  std::vector<std::pair<std::string, std::string>> fields;
  uint32_t field_bytes = 0;  // names + values + 32 per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts
  bool end_stream = false;   // the HEADERS frame ended the stream: no body

  // Adds one field as received (pseudo-header fields included).
  void add(std::string_view name, std::string_view value);
};

// Why the request cannot be forwarded (a stream error, answered with RST_STREAM
// PROTOCOL_ERROR), or nothing when it can: CONNECT (not proxied here), a scheme other than
// http/https, a :path that is not origin-form (or "*" for OPTIONS), no :authority and no
// Host, a Host naming another authority than :authority (RFC 9113 §8.3.1), and, again after
// nghttp2, anything that could not be written as HTTP/1.1 as is: bytes outside a token in the
// method or a name, upper-case names, controls in values, path or authority, connection-
// specific fields, TE other than "trailers", a malformed Content-Length, a repeated Host.
std::optional<std::string_view> h2_request_problem(const H2Request& request);

// Appends the HTTP/1.1 form of `request`: request line, Host (from :authority, else the Host
// field), the fields in order with cookie crumbs joined into one Cookie line (RFC 9113
// §8.2.3), and, for a request with a body but no Content-Length, "Transfer-Encoding: chunked"
// (the body is then sent chunked, as HTTP/2 frames carry no length up front).
void write_http1_head(const H2Request& request, std::string& out);

// True when write_http1_head() announced a chunked body for `request`.
bool h2_body_is_chunked(const H2Request& request);

}  // namespace fulcrum::http
