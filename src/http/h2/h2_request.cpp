#include "http/h2/h2_request.hpp"

#include <strings.h>

#include <algorithm>

#include "http/h1/char_class.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {
namespace {

const std::string* find_field(const H2Request& request, std::string_view name) {
  for (const auto& [field, value] : request.fields) {
    if (field == name) return &value;
  }
  return nullptr;
}

bool all_of_class(std::string_view text, uint8_t cls) {
  return std::all_of(text.begin(), text.end(), [cls](char c) { return has_class(c, cls); });
}

// What must hold for a field to be written as an HTTP/1.1 field line. nghttp2 refuses all of
// it already (with the invalid-header callback in h2_callbacks.cpp); checked again because the
// HTTP/1.1 form is where a slip would split or smuggle a request.
std::optional<std::string_view> field_problem(std::string_view name, std::string_view value) {
  if (name.empty() || !all_of_class(name, kTchar) ||
      std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return "malformed field name";
  if (!all_of_class(value, kValueChar)) return "control byte in a field value";
  switch (identify_header(name)) {
    case HeaderId::connection:
    case HeaderId::keep_alive:
    case HeaderId::proxy_connection:
    case HeaderId::transfer_encoding:
    case HeaderId::upgrade:
      return "connection-specific field";
    case HeaderId::te:
      if (value.size() != 8 || ::strncasecmp(value.data(), "trailers", 8) != 0) return "te other than trailers";
      break;
    case HeaderId::content_length:
      if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return "malformed content-length";
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

bool same_authority(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void H2Request::add(std::string_view name, std::string_view value) {
  field_bytes += static_cast<uint32_t>(name.size() + value.size() + 32);
  if (name.starts_with(':')) {
    // nghttp2 has already refused unknown, repeated and late pseudo-header fields.
    if (name == ":method") method = value;
    else if (name == ":scheme") scheme = value;
    else if (name == ":authority") authority = value;
    else if (name == ":path") path = value;
    return;
  }
  fields.emplace_back(name, value);
}

std::optional<std::string_view> h2_request_problem(const H2Request& request) {
  if (request.method == "CONNECT") return "CONNECT is not proxied";
  if (request.method.empty() || !all_of_class(request.method, kTchar)) return "malformed :method";
  if (request.scheme != "http" && request.scheme != "https") return "scheme other than http or https";
  if (request.path.empty()) return "empty :path";
  // origin-form only (asterisk-form for OPTIONS): what the request line will carry.
  if (request.path == "*") {
    if (request.method != "OPTIONS") return "* as :path of another method than OPTIONS";
  } else if (request.path[0] != '/' || !all_of_class(request.path, kTargetChar)) {
    return "malformed :path";
  }
  const std::string* host = find_field(request, "host");
  if (request.authority.empty() && (host == nullptr || host->empty())) return "neither :authority nor Host";
  if (!all_of_class(request.authority, kHostChar) || (host != nullptr && !all_of_class(*host, kHostChar))) {
    return "malformed authority";
  }
  if (!request.authority.empty() && host != nullptr && !same_authority(*host, request.authority)) {
    return "Host differs from :authority";
  }
  int hosts = 0;
  for (const auto& [name, value] : request.fields) {
    if (auto problem = field_problem(name, value)) return problem;
    if (name == "host" && ++hosts > 1) return "Host repeated";
  }
  return std::nullopt;
}

bool h2_body_is_chunked(const H2Request& request) {
  return !request.end_stream && find_field(request, "content-length") == nullptr;
}

void write_http1_head(const H2Request& request, std::string& out) {
  out.append(request.method).append(" ").append(request.path).append(" HTTP/1.1\r\nhost: ");
  if (!request.authority.empty()) {
    out.append(request.authority);
  } else if (const std::string* host = find_field(request, "host")) {
    out.append(*host);
  }
  out.append("\r\n");
  bool cookie_written = false;
  for (const auto& [name, value] : request.fields) {
    if (name == "host") continue;
    if (name == "cookie") {
      if (cookie_written) continue;
      cookie_written = true;
      out.append("cookie: ");
      bool first = true;
      for (const auto& [other, crumb] : request.fields) {
        if (other != "cookie") continue;
        if (!first) out.append("; ");
        out.append(crumb);
        first = false;
      }
      out.append("\r\n");
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (h2_body_is_chunked(request)) out.append("transfer-encoding: chunked\r\n");
  out.append("\r\n");
}

}  // namespace fulcrum::http
