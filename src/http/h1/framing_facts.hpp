#pragma once
// What the Content-Length and Transfer-Encoding fields of one message say, accumulated field by
// field. The parser feeds it the exact names while scanning; the desync classifier feeds it the
// look-alike names too (as ALB does), so both judge framing with the same code.
#include <cstdint>
#include <optional>
#include <string_view>

namespace fulcrum::http {

struct FramingFacts {
  uint64_t content_length = 0;           // the first valid Content-Length value
  uint8_t content_length_count = 0;      // field lines, saturating
  bool content_length_seen = false;      // content_length holds a valid value
  bool content_length_invalid = false;   // some value is not 1*DIGIT or overflows
  bool content_length_conflict = false;  // valid values that differ
  uint8_t transfer_encoding_count = 0;   // field lines, saturating
  uint8_t chunked_count = 0;             // how often "chunked" appears across them, saturating
  bool final_chunked = false;            // the last coding of the last field is chunked
  bool unknown_coding = false;           // unknown coding, malformed element or empty element
  bool chunked_parameters = false;       // "chunked;..." (chunked defines no parameters)

  bool has_content_length() const { return content_length_count != 0; }
  bool has_transfer_encoding() const { return transfer_encoding_count != 0; }
};

// 1*DIGIT between optional whitespace, without overflow; nothing else (no lists, no signs).
std::optional<uint64_t> parse_content_length(std::string_view value);

void add_content_length(FramingFacts& facts, std::string_view value);
void add_transfer_encoding(FramingFacts& facts, std::string_view value);

}  // namespace fulcrum::http
