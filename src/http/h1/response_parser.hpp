#pragma once
// Strict, zero-copy HTTP/1.1 response head parser for what targets send back. Same incremental
// contract as RequestParser. There is no "acceptable" for responses: anything a request would be
// classified non-compliant for is an error here (error_status 502), because a target that
// frames its responses oddly may desynchronise the client connection that Fulcrum keeps alive.
//
// Framing follows RFC 9112 §6.3 and needs the request's method: a response to HEAD has no body
// whatever its Content-Length says, and a 2xx to CONNECT turns the connection into a tunnel.
#include <cstdint>
#include <string_view>

#include "http/h1/parse_result.hpp"
#include "http/h1/parser_limits.hpp"
#include "http/h1/request_head.hpp"
#include "http/h1/response_head.hpp"

namespace fulcrum::http {

class ResponseParser {
 public:
  explicit ResponseParser(const ParserLimits& limits = {}) : limits_(limits) {}

  ParseResult parse(std::string_view data, ResponseHead& head, Method request_method);
  void reset() { searched_ = 0; }

 private:
  ParseResult parse_head(const char* begin, const char* head_end, ResponseHead& head, Method request_method) const;

  ParserLimits limits_;
  uint32_t searched_ = 0;
};

}  // namespace fulcrum::http
