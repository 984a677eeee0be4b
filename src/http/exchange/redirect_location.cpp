#include "http/exchange/redirect_location.hpp"

namespace fulcrum::http {
namespace {

std::string expand(std::string_view pattern, const RedirectRequest& request, const std::string& port) {
  std::string out;
  size_t at = 0;
  while (at < pattern.size()) {
    size_t open = pattern.find("#{", at);
    if (open == std::string_view::npos) {
      out.append(pattern.substr(at));
      break;
    }
    out.append(pattern.substr(at, open - at));
    size_t close = pattern.find('}', open);
    std::string_view name = pattern.substr(open + 2, close - open - 2);
    if (name == "scheme") out.append(request.scheme);
    else if (name == "host") out.append(request.host);
    else if (name == "port") out.append(port);
    else if (name == "path") out.append(request.path);
    else if (name == "query") out.append(request.query);
    at = close + 1;
  }
  return out;
}

uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

}  // namespace

std::string redirect_location(const config::Redirect& redirect, const RedirectRequest& request) {
  const std::string request_port = std::to_string(request.port);
  const std::string scheme = redirect.scheme.empty() ? std::string(request.scheme) : redirect.scheme;
  const std::string host = redirect.host.empty() ? std::string(request.host) : expand(redirect.host, request, request_port);
  std::string port;
  if (!redirect.port.empty()) {
    port = expand(redirect.port, request, request_port);
  } else if (scheme == request.scheme) {
    port = request_port;
  } else {
    port = std::to_string(default_port(scheme));
  }
  const std::string path = redirect.path.empty() ? std::string(request.path) : expand(redirect.path, request, request_port);
  const std::string query =
      redirect.query.empty() ? std::string(request.query) : expand(redirect.query, request, request_port);
  std::string location = scheme + "://" + host;
  if (port != std::to_string(default_port(scheme))) location += ":" + port;
  location += path.empty() ? "/" : path;
  if (!query.empty()) location += "?" + query;
  return location;
}

}  // namespace fulcrum::http
