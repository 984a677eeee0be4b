#pragma once
// Strict, zero-copy, allocation-free HTTP/1.1 request head parser (RFC 9110 / RFC 9112).
//
//   std::array<Header, 100> fields;            // or any span, e.g. from a per-worker pool
//   RequestHead head(fields);
//   RequestParser parser(limits);
//   ParseResult r = parser.parse(buffer, head);  // buffer starts at the first byte of the request
//   if (r.complete())  ... body per head.framing starts at buffer[r.head_size]
//   if (r.error())     ... answer r.error_status and close
//   if (r.need_more()) ... read more, append, call parse() again with the whole buffer
//
// Incremental: after need_more the parser only searches the new bytes for the end of the head
// (and for bare LFs, which are refused at once); the head is parsed in one pass when its end has
// arrived. A complete parse resets the parser, ready for the next pipelined request.
//
// What is refused here (every desync mode, the bytes cannot be framed or RFC 9112 says reject):
// CR, LF, NUL or other control bytes in the request line or a field; obsolete line folding;
// whitespace before a colon; a malformed request line, method or version; an invalid or
// conflicting Content-Length; Transfer-Encoding that is unknown, repeats chunked or does not end
// in chunked; a missing (HTTP/1.1), repeated or malformed Host; over-limit sizes. What is legal
// enough to frame but suspicious (look-alike names, CL with TE, bodies on GET, ...) is left to
// classify_request() and the desync mode.
#include <cstdint>
#include <string_view>

#include "http/h1/parse_result.hpp"
#include "http/h1/parser_limits.hpp"
#include "http/h1/request_head.hpp"

namespace fulcrum::http {

class RequestParser {
 public:
  explicit RequestParser(const ParserLimits& limits = {}) : limits_(limits) {}

  // `data` holds the request from its first byte (leading empty lines allowed). On complete,
  // `head` describes bytes [0, head_size) and its views point into `data`.
  ParseResult parse(std::string_view data, RequestHead& head);

  // Forget a partially received head (the caller discards its bytes, e.g. on a new connection).
  void reset() { searched_ = 0; }

  const ParserLimits& limits() const { return limits_; }

 private:
  ParseResult parse_head(const char* begin, const char* start, const char* head_end, RequestHead& head) const;

  ParserLimits limits_;
  uint32_t searched_ = 0;  // bytes known to hold no end of head (and no bare LF)
};

}  // namespace fulcrum::http
