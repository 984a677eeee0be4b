#include "http/h2/h2_request.hpp"

#include <strings.h>

namespace fulcrum::http {
namespace {

const std::string* find_field(const H2Request& request, std::string_view name) {
  for (const auto& [field, value] : request.fields) {
    if (field == name) return &value;
  }
  return nullptr;
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
  if (request.path.empty()) return "empty :path";
  const std::string* host = find_field(request, "host");
  if (request.authority.empty() && (host == nullptr || host->empty())) return "neither :authority nor Host";
  if (!request.authority.empty() && host != nullptr && !same_authority(*host, request.authority)) {
    return "Host differs from :authority";
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
