#pragma once
// One fuzz input through the HTTP/1.1 request parser, the response parser, the desync
// classifier and the chunked decoder, checking invariants that must hold for every input.
// Shared by the libFuzzer target (http_parser_fuzz.cpp) and by unit_http, which replays the seed
// corpus (tests/fuzz/corpus/http/) in every `make test`. Returns "" or the broken invariant.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/h1/chunked_decoder.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"
#include "http/h1/response_parser.hpp"

namespace fulcrum::http::fuzz {

inline bool within(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Parses `data` once whole and once fed in two steps; both must agree on what was found.
inline std::string check_request(std::string_view data, const ParserLimits& limits, size_t split) {
  std::array<Header, 128> storage{};
  RequestHead head(storage);
  RequestParser whole_parser(limits);
  const ParseResult whole = whole_parser.parse(data, head);

  std::array<Header, 128> storage2{};
  RequestHead head2(storage2);
  RequestParser step_parser(limits);
  ParseResult stepped = step_parser.parse(data.substr(0, split), head2);
  if (stepped.need_more()) stepped = step_parser.parse(data, head2);
  if (stepped.status != whole.status) return "request: incremental status differs";
  if (whole.complete() && stepped.head_size != whole.head_size) return "request: incremental head size differs";

  if (whole.error()) {
    if (whole.error_status != 400 && whole.error_status != 414 && whole.error_status != 431 &&
        whole.error_status != 505) {
      return "request: unexpected error status";
    }
    if (tier_of(whole.reason) != DesyncTier::severe) return "request: error reason is not severe";
    return {};
  }
  if (!whole.complete()) return {};
  if (whole.head_size > data.size()) return "request: head larger than input";
  const std::string_view head_bytes = data.substr(0, whole.head_size);
  if (!within(head.method, head_bytes) || !within(head.target, head_bytes) || !within(head.version, head_bytes)) {
    return "request: start line view outside the head";
  }
  if (head.header_count > limits.max_headers) return "request: more fields than allowed";
  for (const Header& h : head.headers()) {
    if (!within(h.name, head_bytes) || !within(h.value, head_bytes)) return "request: field view outside the head";
    for (char c : h.value) {
      if (c == '\r' || c == '\n' || c == '\0') return "request: line breaker inside a parsed value";
    }
  }
  if (head.framing == BodyFraming::until_close) return "request: framed until close";
  // The classifier's trust in the parser's summary must be justified: re-reading every byte
  // of the head must reach the same verdict.
  const FieldCheck field_check = head.field_check;
  const Classification trusted = classify_request(head);
  head.field_check = FieldCheck::unknown;
  const Classification checked = classify_request(head);
  if (trusted.tier != checked.tier || trusted.reason != checked.reason ||
      trusted.header_index != checked.header_index) {
    return "request: classification depends on the parser's summary";
  }
  // What the parser frames itself it must have refused already; only look-alike names (which
  // the classifier counts as framing fields and the parser does not) may add unframeable reasons.
  if (field_check == FieldCheck::clean && !is_forwardable(trusted.reason)) {
    return "request: clean parsed head classified as unframeable";
  }

  // The body right behind the head, as the proxy would read it.
  if (head.framing == BodyFraming::chunked) {
    ChunkedDecoder body;
    const ChunkedResult r = body.feed(data.substr(whole.head_size));
    if (r.consumed > data.size() - whole.head_size) return "request body: consumed more than given";
  }
  return {};
}

inline std::string check_response(std::string_view data, Method method, size_t split) {
  std::array<Header, 128> storage{};
  ResponseHead head(storage);
  ResponseParser parser;
  const ParseResult whole = parser.parse(data, head, method);

  std::array<Header, 128> storage2{};
  ResponseHead head2(storage2);
  ResponseParser step_parser;
  ParseResult stepped = step_parser.parse(data.substr(0, split), head2, method);
  if (stepped.need_more()) stepped = step_parser.parse(data, head2, method);
  if (stepped.status != whole.status) return "response: incremental status differs";
  if (whole.error() && whole.error_status != 502) return "response: error is not 502";
  if (!whole.complete()) return {};
  if (whole.head_size != stepped.head_size) return "response: incremental head size differs";
  const std::string_view head_bytes = data.substr(0, whole.head_size);
  for (const Header& h : head.headers()) {
    if (!within(h.name, head_bytes) || !within(h.value, head_bytes)) return "response: field view outside the head";
  }
  if (head.status < 100 || head.status > 599) return "response: status out of range";
  if (head.framing == BodyFraming::until_close && head.keep_alive) return "response: until close yet keep-alive";
  return {};
}

// The whole input as a chunked body, whole and in pieces: the pieces must add up to the whole.
inline std::string check_chunked(std::string_view data, size_t step) {
  ChunkedLimits limits;
  limits.max_chunk_extension = 64;
  limits.max_trailer_bytes = 256;
  ChunkedDecoder whole(limits);
  const ChunkedResult w = whole.feed(data);
  if (w.consumed > data.size()) return "chunked: consumed more than given";
  if (w.done() && !whole.done()) return "chunked: done result without done state";

  ChunkedDecoder pieces(limits);
  size_t pos = 0;
  ChunkedResult last;
  uint64_t payload = 0;
  while (pos < data.size()) {
    const std::string_view piece = data.substr(pos, step);
    const ChunkedResult r = pieces.next(piece);
    if (r.consumed > piece.size()) return "chunked: consumed more than the piece";
    if (!r.payload.empty() && !within(r.payload, piece.substr(0, r.consumed))) return "chunked: payload outside input";
    payload += r.payload.size();
    pos += r.consumed;
    last = r;
    if (r.status != BodyStatus::need_more) break;
    if (r.consumed == 0) return "chunked: no progress";
  }
  if (data.empty()) return {};
  if (last.status != w.status) return "chunked: split status differs";
  if (w.status != BodyStatus::error) {
    if (pos != w.consumed) return "chunked: split consumption differs";
    if (payload != whole.payload_bytes() || pieces.payload_bytes() != payload) return "chunked: payload differs";
  }
  return {};
}

inline std::string run_one(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const size_t split = size == 0 ? 0 : (bytes[0] * size) / 256;
  const size_t step = size == 0 ? 1 : 1 + bytes[size - 1] % 16;

  ParserLimits small;
  small.max_request_line = 64;
  small.max_header_bytes = 256;
  small.max_headers = 8;
  small.require_host = (size & 1) != 0;
  for (const ParserLimits& limits : {ParserLimits{}, small}) {
    if (std::string e = check_request(data, limits, split); !e.empty()) return e;
  }
  const Method methods[] = {Method::get, Method::head, Method::connect, Method::post};
  if (std::string e = check_response(data, methods[size % 4], split); !e.empty()) return e;
  return check_chunked(data, step);
}

}  // namespace fulcrum::http::fuzz
