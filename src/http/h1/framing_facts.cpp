#include "http/h1/framing_facts.hpp"

#include "http/h1/char_class.hpp"

namespace fulcrum::http {

namespace {

void saturating_increment(uint8_t& n) {
  if (n != UINT8_MAX) ++n;
}

// The codings a proxy can frame a request behind; anything else is reported as unknown, which
// the desync rules treat as severe (ALB: BadTransferEncoding). x-gzip and x-compress are the
// aliases RFC 9112 §7.2 asks recipients to accept.
bool known_coding(std::string_view coding) {
  switch (coding.size()) {
    case 4:
      return equals_lower(coding, "gzip");
    case 6:
      return equals_lower(coding, "x-gzip");
    case 7:
      return equals_lower(coding, "chunked") || equals_lower(coding, "deflate");
    case 8:
      return equals_lower(coding, "compress") || equals_lower(coding, "identity");
    case 10:
      return equals_lower(coding, "x-compress");
    default:
      return false;
  }
}

}  // namespace

std::optional<uint64_t> parse_content_length(std::string_view value) {
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

void add_content_length(FramingFacts& facts, std::string_view value) {
  const auto n = parse_content_length(value);
  if (!n) {
    facts.content_length_invalid = true;
  } else if (!facts.content_length_seen) {
    facts.content_length = *n;
    facts.content_length_seen = true;
  } else if (*n != facts.content_length) {
    facts.content_length_conflict = true;
  }
  saturating_increment(facts.content_length_count);
}

void add_transfer_encoding(FramingFacts& facts, std::string_view value) {
  saturating_increment(facts.transfer_encoding_count);
  size_t pos = 0;
  while (true) {
    const size_t comma = value.find(',', pos);
    const std::string_view element =
        trim_ows(value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    const size_t semi = element.find(';');
    const std::string_view coding = trim_ows(element.substr(0, semi));
    if (coding.empty() || !known_coding(coding)) {
      facts.unknown_coding = true;
      facts.final_chunked = false;
    } else {
      const bool chunked = equals_lower(coding, "chunked");
      if (chunked) {
        saturating_increment(facts.chunked_count);
        if (semi != std::string_view::npos) facts.chunked_parameters = true;
      }
      facts.final_chunked = chunked;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
}

}  // namespace fulcrum::http
