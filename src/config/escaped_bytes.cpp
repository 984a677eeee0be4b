#include "config/escaped_bytes.hpp"

#include "core/hex_digit.hpp"

namespace fulcrum::config {

std::optional<std::string> unescape_bytes(std::string_view text, std::string& error) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) {
      error = "a lone '\\' at the end (write '\\\\' for a backslash)";
      return std::nullopt;
    }
    const char kind = text[++i];
    switch (kind) {
      case '0': out += '\0'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x': {
        const int high = i + 1 < text.size() ? core::hex_digit_value(text[i + 1]) : -1;
        const int low = i + 2 < text.size() ? core::hex_digit_value(text[i + 2]) : -1;
        if (high < 0 || low < 0) {
          error = "'\\x' needs two hex digits (\\x00..\\xff)";
          return std::nullopt;
        }
        out += static_cast<char>(high * 16 + low);
        i += 2;
        break;
      }
      default:
        error = std::string("unknown escape '\\") + kind + "' (use \\xHH, \\0, \\n, \\r, \\t, \\\\ or \\\")";
        return std::nullopt;
    }
  }
  return out;
}

}  // namespace fulcrum::config
