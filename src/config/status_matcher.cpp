#include "config/status_matcher.hpp"

#include <charconv>

namespace fulcrum::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::optional<uint32_t> parse_code(std::string_view text) {
  text = trim(text);
  uint32_t code = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (code < 100 || code > 599) return std::nullopt;
  return code;
}

}  // namespace

bool StatusMatcher::matches(uint32_t status) const {
  for (const auto& range : ranges) {
    if (status >= range.low && status <= range.high) return true;
  }
  return false;
}

std::optional<StatusMatcher> parse_status_matcher(std::string_view text, std::string& error) {
  StatusMatcher matcher;
  const std::string quoted = "'" + std::string(text) + "'";
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string_view part =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    auto dash = part.find('-');
    StatusRange range;
    auto low = parse_code(part.substr(0, dash));
    auto high = dash == std::string_view::npos ? low : parse_code(part.substr(dash + 1));
    if (!low || !high) {
      error = "bad matcher " + quoted + ": expected status codes 100..599 like '200', '200-399' or '200,204'";
      return std::nullopt;
    }
    if (*low > *high) {
      error = "bad matcher " + quoted + ": range '" + std::string(trim(part)) + "' runs backwards";
      return std::nullopt;
    }
    range.low = *low;
    range.high = *high;
    matcher.ranges.push_back(range);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return matcher;
}

}  // namespace fulcrum::config
