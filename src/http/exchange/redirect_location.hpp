#pragma once
// The Location of a redirect action: each part the action sets replaces the request's, with
// #{scheme}, #{host}, #{port}, #{path} and #{query} standing for the request's own parts.
// A port that is the scheme's default is left out; when the scheme changes and no port is
// given, the new scheme's default port is used (http->https must not keep :80).
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace fulcrum::http {

struct RedirectRequest {
  std::string_view scheme;  // "http" or "https"
  std::string_view host;    // without port
  uint16_t port = 0;
  std::string_view path;
  std::string_view query;  // without '?'
};

std::string redirect_location(const config::Redirect& redirect, const RedirectRequest& request);

}  // namespace fulcrum::http
