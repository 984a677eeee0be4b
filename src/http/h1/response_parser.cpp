#include "http/h1/response_parser.hpp"

#include <algorithm>
#include <cstring>

#include "http/h1/char_class.hpp"
#include "http/h1/field_scanner.hpp"
#include "http/h1/token_list.hpp"

namespace fulcrum::http {

namespace {

constexpr uint16_t kBadGateway = 502;


ParseResult bad(DesyncReason why, int32_t header = -1) { return ParseResult::fail(kBadGateway, why, header); }

}  // namespace

ParseResult ResponseParser::parse(std::string_view data, ResponseHead& head, Method request_method) {
  const char* const begin = data.data();
  const size_t size = data.size();
  const size_t window = std::min<size_t>(size, limits_.max_header_bytes);
  const size_t from = searched_ >= 3 ? searched_ - 3 : 0;
  const char* const head_cr = detail::find_head_end(begin + from, begin + window);
  if (head_cr == nullptr) [[unlikely]] {
    if (detail::find_bare_lf(begin, begin + searched_, begin + window) != nullptr) {
      searched_ = 0;
      return bad(DesyncReason::bad_header);
    }
    if (size > limits_.max_request_line && std::memchr(begin, '\n', limits_.max_request_line) == nullptr) {
      searched_ = 0;
      return bad(DesyncReason::bad_status_line);
    }
    if (size >= limits_.max_header_bytes) {
      searched_ = 0;
      return bad(DesyncReason::header_section_too_large);
    }
    searched_ = static_cast<uint32_t>(window);
    return ParseResult::more();
  }
  searched_ = 0;
  return parse_head(begin, head_cr + 4, head, request_method);
}

ParseResult ResponseParser::parse_head(const char* begin, const char* head_end, ResponseHead& head,
                                       Method request_method) const {
  const char* p = begin;
  head.header_count = 0;
  head.facts = FramingFacts{};
  head.upgrade = false;
  head.tunnel = false;

  // --- status line: HTTP-version SP 3DIGIT SP [reason-phrase] CRLF
  if (head_end - p < 14 || std::memcmp(p, "HTTP/", 5) != 0 || p[5] != '1' || p[6] != '.' || !is_digit(p[7]) ||
      p[8] != ' ' || p[9] < '1' || p[9] > '5' || !is_digit(p[10]) || !is_digit(p[11])) [[unlikely]] {
    return bad(DesyncReason::bad_status_line);
  }
  head.version = std::string_view(p, 8);
  head.version_major = 1;
  head.version_minor = static_cast<uint8_t>(p[7] - '0');
  head.status = static_cast<uint16_t>((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
  p += 12;
  if (*p == ' ') {
    ++p;
    const char* const reason = p;
    p = detail::skip_value_bytes(p, head_end);
    head.reason = std::string_view(reason, static_cast<size_t>(p - reason));
  } else {
    head.reason = {};  // "HTTP/1.1 200\r\n": tolerated, the reason phrase carries nothing
  }
  if (p[0] != '\r' || p[1] != '\n') [[unlikely]] {
    return bad(DesyncReason::bad_status_line);
  }
  p += 2;
  if (static_cast<size_t>(p - begin) > limits_.max_request_line) [[unlikely]] {
    return bad(DesyncReason::bad_status_line);
  }

  // --- field lines: every irregular name is an error in a response
  const char* const fields_end = head_end - 2;
  const size_t capacity = std::min<size_t>(head.header_storage.size(), limits_.max_headers);
  bool conn_close = false;
  bool conn_keep_alive = false;
  while (p != fields_end) {
    const auto index = static_cast<int32_t>(head.header_count);
    if (is_whitespace(*p)) [[unlikely]] {
      return bad(DesyncReason::obs_fold, index - 1);
    }
    if (head.header_count == capacity) [[unlikely]] {
      return bad(DesyncReason::too_many_headers, index);
    }
    Header& h = head.header_storage[head.header_count];
    const detail::FieldLine f = detail::scan_field_line(p, head_end, h.name, h.value);
    if (f.error != DesyncReason::compliant) [[unlikely]] {
      return bad(f.error, index);
    }
    if (f.non_token) [[unlikely]] {
      return bad(h.name.empty() ? DesyncReason::empty_header : DesyncReason::non_compliant_header, index);
    }
    ++head.header_count;
    h.id = identify_header(h.name);
    switch (h.id) {
      case HeaderId::other:
        if (h.name.size() >= 13 && framing_look_alike(h.name) != LookAlike::none) [[unlikely]] {
          return bad(DesyncReason::suspicious_header, index);
        }
        break;
      case HeaderId::content_length:
        add_content_length(head.facts, h.value);
        break;
      case HeaderId::transfer_encoding:
        add_transfer_encoding(head.facts, h.value);
        break;
      case HeaderId::connection:
        for_each_list_element(h.value, [&](std::string_view token) {
          if (equals_lower(token, "close")) {
            conn_close = true;
          } else if (equals_lower(token, "keep-alive")) {
            conn_keep_alive = true;
          }
        });
        break;
      default:
        break;
    }
    p = f.next;
  }

  // --- framing (RFC 9112 §6.3), refusing every combination two parsers could read differently
  const FramingFacts& facts = head.facts;
  if (facts.has_transfer_encoding()) {
    if (facts.unknown_coding) return bad(DesyncReason::bad_transfer_encoding);
    if (facts.chunked_count > 1) return bad(DesyncReason::multiple_transfer_encoding_chunked);
    if (facts.chunked_parameters) return bad(DesyncReason::chunked_with_parameters);
    if (facts.has_content_length()) return bad(DesyncReason::both_te_cl);
    if (head.version_minor == 0) return bad(DesyncReason::undefined_transfer_encoding_semantics);
  }
  if (facts.content_length_invalid) return bad(DesyncReason::bad_content_length);
  if (facts.content_length_conflict) return bad(DesyncReason::multiple_content_length);

  const uint16_t status = head.status;
  const bool http11 = head.version_minor >= 1;
  head.keep_alive = http11 ? !conn_close : (conn_keep_alive && !conn_close);
  head.content_length = 0;
  if (request_method == Method::head || status < 200 || status == 204 || status == 304) {
    head.framing = BodyFraming::none;
    if (status == 101) {
      head.upgrade = true;
      head.keep_alive = false;
    }
  } else if (request_method == Method::connect && status < 300) {
    head.framing = BodyFraming::none;
    head.tunnel = true;
    head.keep_alive = false;
  } else if (facts.has_transfer_encoding()) {
    head.framing = facts.final_chunked ? BodyFraming::chunked : BodyFraming::until_close;
  } else if (facts.has_content_length()) {
    head.framing = BodyFraming::content_length;
    head.content_length = facts.content_length;
  } else {
    head.framing = BodyFraming::until_close;
  }
  if (head.framing == BodyFraming::until_close) head.keep_alive = false;
  return ParseResult::done(static_cast<uint32_t>(head_end - begin));
}

}  // namespace fulcrum::http
