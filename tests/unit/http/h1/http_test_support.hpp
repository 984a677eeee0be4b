#pragma once
// Helpers shared by the unit_http tests: a request/response with its own field storage.
#include <array>
#include <string>
#include <string_view>

#include "http/h1/request_parser.hpp"
#include "http/h1/response_parser.hpp"

namespace fulcrum::http::testing {

// Not copyable: the head's views and span point into this object's storage.
struct ParsedRequest {
  ParsedRequest() = default;
  ParsedRequest(const ParsedRequest&) = delete;
  ParsedRequest& operator=(const ParsedRequest&) = delete;
  std::array<Header, 128> storage{};
  RequestHead head{storage};
  ParseResult result;
};

inline void parse_request(std::string_view bytes, ParsedRequest& out, const ParserLimits& limits = {}) {
  RequestParser parser(limits);
  out.result = parser.parse(bytes, out.head);
}

struct ParsedResponse {
  ParsedResponse() = default;
  ParsedResponse(const ParsedResponse&) = delete;
  ParsedResponse& operator=(const ParsedResponse&) = delete;
  std::array<Header, 128> storage{};
  ResponseHead head{storage};
  ParseResult result;
};

inline void parse_response(std::string_view bytes, ParsedResponse& out, Method method = Method::get,
                           const ParserLimits& limits = {}) {
  ResponseParser parser(limits);
  out.result = parser.parse(bytes, out.head, method);
}

}  // namespace fulcrum::http::testing
