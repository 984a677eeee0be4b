#pragma once
// Byte classes of RFC 9110/9112 as one 256-entry table, so every hot loop in the parsers is a
// single load and mask per byte. None of the scanning classes contains CR or LF: the parsers
// rely on that to stop at line ends without bounds checks (see request_parser.cpp).
#include <array>
#include <cstdint>
#include <string_view>

namespace fulcrum::http {

enum CharClass : uint8_t {
  kTchar = 1 << 0,       // token character (field names, methods, codings)
  kTargetChar = 1 << 1,  // request-target byte: any byte above SP except DEL (obs-text allowed)
  kValueChar = 1 << 2,   // field-value byte: VCHAR, obs-text, SP, HTAB
  kWhitespace = 1 << 3,  // SP, HTAB (OWS)
  kControl = 1 << 4,     // CTL: 0x00-0x1F and DEL (HTAB included)
  kHostChar = 1 << 5,    // uri-host [":" port] bytes accepted in Host
  kHexDigit = 1 << 6,
  kAlnum = 1 << 7,
};

namespace detail {
constexpr std::array<uint8_t, 256> make_char_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha || digit) v |= kTchar | kAlnum | kHostChar;
    for (char s : std::string_view("!#$%&'*+-.^_`|~")) {
      if (c == static_cast<unsigned char>(s)) v |= kTchar;
    }
    for (char s : std::string_view("-._~!$&'()*+,;=%:[]")) {
      if (c == static_cast<unsigned char>(s)) v |= kHostChar;
    }
    if (c > 0x20 && c != 0x7f) v |= kTargetChar;
    if ((c >= 0x21 && c <= 0x7e) || c >= 0x80 || c == ' ' || c == '\t') v |= kValueChar;
    if (c == ' ' || c == '\t') v |= kWhitespace;
    if (c < 0x20 || c == 0x7f) v |= kControl;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHexDigit;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

constexpr std::array<uint8_t, 256> make_lower_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = static_cast<uint8_t>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  }
  return t;
}
}  // namespace detail

inline constexpr std::array<uint8_t, 256> kCharTable = detail::make_char_table();
inline constexpr std::array<uint8_t, 256> kLowerTable = detail::make_lower_table();

constexpr bool has_class(char c, uint8_t cls) { return (kCharTable[static_cast<unsigned char>(c)] & cls) != 0; }
constexpr bool is_tchar(char c) { return has_class(c, kTchar); }
constexpr bool is_whitespace(char c) { return c == ' ' || c == '\t'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr char to_lower(char c) { return static_cast<char>(kLowerTable[static_cast<unsigned char>(c)]); }

// ASCII case-insensitive equality against a literal that is already lower case.
constexpr bool equals_lower(std::string_view s, std::string_view lower_literal) {
  if (s.size() != lower_literal.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (to_lower(s[i]) != lower_literal[i]) return false;
  }
  return true;
}

// Strips optional whitespace (SP / HTAB) from both ends.
constexpr std::string_view trim_ows(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && is_whitespace(s[b])) ++b;
  while (e > b && is_whitespace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace fulcrum::http
