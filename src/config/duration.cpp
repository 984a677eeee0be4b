#include "config/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>

namespace fulcrum::config {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t milliseconds;
};

// Longest suffix first so that "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 5> kUnits{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 3600 * 1000},
    {"d", 24 * 3600 * 1000},
}};

// About 100 years: far beyond any sensible setting, far below int64 overflow.
constexpr int64_t kMaxMilliseconds = int64_t{100} * 365 * 24 * 3600 * 1000;

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration{0};
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  int64_t previous_unit = INT64_MAX;
  while (!text.empty()) {
    int64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end == text.data() || number < 0) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    const Unit* unit = nullptr;
    for (const auto& candidate : kUnits) {
      if (text.starts_with(candidate.suffix)) {
        unit = &candidate;
        break;
      }
    }
    // Parts must shrink ("1h30m", not "30m1h" or "1s1s") so that each spelling means one thing.
    if (unit == nullptr || unit->milliseconds >= previous_unit) return std::nullopt;
    text.remove_prefix(unit->suffix.size());
    if (number > kMaxMilliseconds / unit->milliseconds) return std::nullopt;
    total += number * unit->milliseconds;
    if (total > kMaxMilliseconds) return std::nullopt;
    previous_unit = unit->milliseconds;
  }
  return Duration{total};
}

std::string format_duration(Duration duration) {
  int64_t left = duration.count();
  if (left == 0) return "0s";
  std::string text;
  if (left < 0) {
    text = "-";
    left = -left;
  }
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (left >= it->milliseconds) {
      text += std::to_string(left / it->milliseconds);
      text += it->suffix;
      left %= it->milliseconds;
    }
  }
  return text;
}

}  // namespace fulcrum::config
