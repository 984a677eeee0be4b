#pragma once
// One admin API exchange as the handlers see it: the request already framed, authorised and
// copied out of the connection's buffer, and the response they build. Kept apart from the
// server so that handlers can be unit-tested without sockets.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fulcrum::admin {

struct AdminRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  std::string query;   // after '?', as received
  std::string body;
  bool authorised = false;  // a valid bearer token came with it (or none is configured)

  // The value of `name` in the query string ("watch=1&x=2"), or empty.
  std::string query_value(std::string_view name) const;
};

struct AdminResponse {
  uint16_t status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (Allow, WWW-Authenticate)

  // {"error": message} with this status (the 4xx/5xx every handler answers the same way).
  static AdminResponse error(uint16_t status, std::string_view message);
  static AdminResponse json(std::string body, uint16_t status = 200);
};

// "%2F" -> "/", "+" kept: paths only. False on a malformed escape or a NUL.
bool percent_decode(std::string_view in, std::string& out);

}  // namespace fulcrum::admin
