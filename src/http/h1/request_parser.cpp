#include "http/h1/request_parser.hpp"

#include <algorithm>
#include <cstring>

#include "http/h1/char_class.hpp"
#include "http/h1/field_scanner.hpp"
#include "http/h1/token_list.hpp"

namespace fulcrum::http {

Method identify_method(std::string_view m) {
  switch (m.size()) {
    case 3:
      if (m == "GET") return Method::get;
      if (m == "PUT") return Method::put;
      return Method::other;
    case 4:
      if (m == "POST") return Method::post;
      if (m == "HEAD") return Method::head;
      return Method::other;
    case 5:
      if (m == "PATCH") return Method::patch;
      if (m == "TRACE") return Method::trace;
      return Method::other;
    case 6:
      return m == "DELETE" ? Method::delete_ : Method::other;
    case 7:
      if (m == "OPTIONS") return Method::options;
      if (m == "CONNECT") return Method::connect;
      return Method::other;
    default:
      return Method::other;
  }
}

namespace {


bool valid_host(std::string_view host) {
  for (char c : host) {
    if (!has_class(c, kHostChar)) return false;
  }
  return true;
}

// Everything after a complete request line; `p` at the version. Returns the reason on failure.
DesyncReason read_version(const char* p, const char* line_cr_bound, uint8_t& major, uint8_t& minor) {
  if (line_cr_bound - p < 10 || std::memcmp(p, "HTTP/", 5) != 0 || !is_digit(p[5]) || p[6] != '.' || !is_digit(p[7])) {
    // A space further on means the target held one ("GET /a b HTTP/1.1"): first-space and
    // last-space parsers would split this line differently.
    for (const char* q = p; q < line_cr_bound && *q != '\r' && *q != '\n'; ++q) {
      if (*q == ' ') return DesyncReason::space_in_uri;
    }
    return DesyncReason::bad_version;
  }
  if (p[8] != '\r' || p[9] != '\n') return DesyncReason::bad_version;
  major = static_cast<uint8_t>(p[5] - '0');
  minor = static_cast<uint8_t>(p[7] - '0');
  return DesyncReason::compliant;
}

}  // namespace

ParseResult RequestParser::parse(std::string_view data, RequestHead& head) {
  const char* const begin = data.data();
  const size_t size = data.size();

  // RFC 9112 §2.2: ignore empty lines (CRLF) before the request line.
  size_t start = 0;
  while (size - start >= 2 && begin[start] == '\r' && begin[start + 1] == '\n') start += 2;

  const size_t window = std::min<size_t>(size, limits_.max_header_bytes);
  const size_t from = std::max<size_t>(start, searched_ >= 3 ? searched_ - 3 : 0);
  const char* const head_cr = detail::find_head_end(begin + from, begin + window);
  if (head_cr == nullptr) [[unlikely]] {
    const size_t checked_from = std::max<size_t>(start, searched_);
    if (const char* lf = detail::find_bare_lf(begin, begin + checked_from, begin + window)) {
      searched_ = 0;
      const bool first_line = std::memchr(begin + start, '\n', static_cast<size_t>(lf - begin) - start) == nullptr;
      return ParseResult::fail(400, first_line ? DesyncReason::bad_request_line : DesyncReason::bad_header);
    }
    if (size - start > limits_.max_request_line &&
        std::memchr(begin + start, '\n', limits_.max_request_line) == nullptr) {
      searched_ = 0;
      return ParseResult::fail(414, DesyncReason::request_line_too_long);
    }
    if (size >= limits_.max_header_bytes) {
      searched_ = 0;
      return ParseResult::fail(431, DesyncReason::header_section_too_large);
    }
    searched_ = static_cast<uint32_t>(window);
    return ParseResult::more();
  }
  searched_ = 0;
  return parse_head(begin, begin + start, head_cr + 4, head);
}

ParseResult RequestParser::parse_head(const char* begin, const char* start, const char* head_end,
                                      RequestHead& head) const {
  const char* p = start;
  head.header_count = 0;
  head.facts = FramingFacts{};
  head.host_index = -1;
  head.expectation = Expectation::none;
  head.upgrade = false;

  // --- request line: method SP request-target SP HTTP-version CRLF
  const char* const method = p;
  while (has_class(*p, kTchar)) ++p;
  if (*p != ' ' || p == method) [[unlikely]] {
    return ParseResult::fail(
        400, (*p == '\r' || *p == '\n') && p != method ? DesyncReason::bad_request_line : DesyncReason::bad_method);
  }
  head.method = std::string_view(method, static_cast<size_t>(p - method));
  head.method_id = identify_method(head.method);
  ++p;
  const char* const target = p;
  p = detail::skip_target_bytes(p, head_end);
  if (*p != ' ') [[unlikely]] {
    const char c = *p;
    DesyncReason why = DesyncReason::control_character_in_uri;
    if (c == '\r' && p[1] == '\n') {
      // "GET /path" with no version is an HTTP/0.9 simple request: it has no header section,
      // so a 0.9 server would read our "fields" as the next request.
      why = p == target ? DesyncReason::missing_uri : DesyncReason::bad_version;
    } else if (c == '\r' || c == '\n') {
      why = p == target ? DesyncReason::bad_request_line : DesyncReason::bad_uri;
    } else if (c == '\0') {
      why = DesyncReason::bad_uri;
    }
    return ParseResult::fail(400, why);
  }
  if (p == target) [[unlikely]] {
    return ParseResult::fail(400, DesyncReason::missing_uri);
  }
  head.target = std::string_view(target, static_cast<size_t>(p - target));
  ++p;
  uint8_t major = 0;
  uint8_t minor = 0;
  if (const DesyncReason why = read_version(p, head_end, major, minor); why != DesyncReason::compliant) {
    return ParseResult::fail(400, why);
  }
  if (major != 1 && !(major == 0 && minor == 9)) [[unlikely]] {
    return ParseResult::fail(major >= 2 ? 505 : 400, DesyncReason::bad_version);
  }
  head.version = std::string_view(p, 8);
  head.version_major = major;
  head.version_minor = minor;
  p += 10;
  if (static_cast<size_t>(p - start) > limits_.max_request_line) [[unlikely]] {
    return ParseResult::fail(414, DesyncReason::request_line_too_long);
  }

  // --- field lines
  const char* const fields_end = head_end - 2;  // the final CRLF
  const size_t capacity = std::min<size_t>(head.header_storage.size(), limits_.max_headers);
  bool non_compliant = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  // Only WebSocket is tunnelled after a 101. Any other protocol (h2c above all: a target that
  // switched to it would take requests no rule, limit or WAF ever saw) is not an upgrade here,
  // and the writer drops its Upgrade field as hop-by-hop.
  bool upgrade_websocket = false;
  bool upgrade_other = false;
  int host_count = 0;
  const Header* expect = nullptr;

  while (p != fields_end) {
    const auto index = static_cast<int32_t>(head.header_count);
    if (is_whitespace(*p)) [[unlikely]] {
      // obs-fold, or whitespace between the start line and the first field (RFC 9112 §2.2);
      // the offending field is the one being continued.
      return ParseResult::fail(400, DesyncReason::obs_fold, index - 1);
    }
    if (head.header_count == capacity) [[unlikely]] {
      return ParseResult::fail(431, DesyncReason::too_many_headers, index);
    }
    Header& h = head.header_storage[head.header_count];
    const detail::FieldLine f = detail::scan_field_line(p, head_end, h.name, h.value);
    if (f.error != DesyncReason::compliant) [[unlikely]] {
      return ParseResult::fail(400, f.error, index);
    }
    ++head.header_count;
    h.id = identify_header(h.name);
    non_compliant = non_compliant || f.non_token;
    switch (h.id) {
      case HeaderId::other:
        if (h.name.size() >= 13 && framing_look_alike(h.name) != LookAlike::none) [[unlikely]] {
          non_compliant = true;
        }
        break;
      case HeaderId::content_length:
        add_content_length(head.facts, h.value);
        break;
      case HeaderId::transfer_encoding:
        add_transfer_encoding(head.facts, h.value);
        break;
      case HeaderId::host:
        if (++host_count == 1) head.host_index = index;
        break;
      case HeaderId::connection:
        for_each_list_element(h.value, [&](std::string_view token) {
          if (equals_lower(token, "close")) {
            conn_close = true;
          } else if (equals_lower(token, "keep-alive")) {
            conn_keep_alive = true;
          } else if (equals_lower(token, "upgrade")) {
            conn_upgrade = true;
          }
        });
        break;
      case HeaderId::upgrade:
        if (equals_lower(h.value, "websocket")) upgrade_websocket = true;
        else upgrade_other = true;
        break;
      case HeaderId::expect:
        if (expect == nullptr) expect = &h;
        break;
      default:
        break;
    }
    p = f.next;
  }

  // --- semantics that make the message unframeable or invalid whatever the desync mode
  const bool http11 = major == 1 && minor >= 1;
  if (host_count > 1 ||
      (host_count == 1 && !valid_host(head.header_storage[static_cast<size_t>(head.host_index)].value)) ||
      (host_count == 0 && http11 && limits_.require_host)) [[unlikely]] {
    return ParseResult::fail(400, DesyncReason::bad_host, host_count == 0 ? -1 : head.host_index);
  }
  const FramingFacts& facts = head.facts;
  if (facts.has_transfer_encoding() || facts.has_content_length()) {
    if (facts.unknown_coding) return ParseResult::fail(400, DesyncReason::bad_transfer_encoding);
    if (facts.chunked_count > 1) return ParseResult::fail(400, DesyncReason::multiple_transfer_encoding_chunked);
    if (facts.content_length_invalid) return ParseResult::fail(400, DesyncReason::bad_content_length);
    if (facts.content_length_conflict) return ParseResult::fail(400, DesyncReason::multiple_content_length);
    if (facts.has_transfer_encoding() && !facts.final_chunked) {
      // RFC 9112 §6.3: the length of such a request cannot be determined; 400 and close.
      return ParseResult::fail(400, DesyncReason::transfer_encoding_not_chunked);
    }
  }
  if (facts.has_transfer_encoding()) {
    head.framing = BodyFraming::chunked;  // overrides Content-Length (classified severe)
    head.content_length = 0;
  } else if (facts.has_content_length()) {
    head.framing = BodyFraming::content_length;
    head.content_length = facts.content_length;
  } else {
    head.framing = BodyFraming::none;
    head.content_length = 0;
  }

  head.keep_alive = major == 1 && minor >= 1 ? !conn_close : (conn_keep_alive && !conn_close);
  head.upgrade = http11 && conn_upgrade && upgrade_websocket && !upgrade_other;
  if (expect != nullptr && http11) {
    // RFC 9110 §10.1.1: 100-continue is the only expectation; HTTP/1.0 ones are ignored.
    head.expectation =
        equals_lower(expect->value, "100-continue") ? Expectation::continue_100 : Expectation::unsupported;
  }
  head.field_check = non_compliant ? FieldCheck::non_compliant : FieldCheck::clean;
  return ParseResult::done(static_cast<uint32_t>(head_end - begin));
}

}  // namespace fulcrum::http
