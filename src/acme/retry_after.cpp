#include "acme/retry_after.hpp"

#include <algorithm>
#include <array>

namespace fulcrum::acme {
namespace retry_after_detail {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// `count` digits at `at` (a leading space allowed when `space_padded`, as asctime pads the day).
std::optional<int> number_at(std::string_view text, size_t at, size_t count, bool space_padded = false) {
  if (at + count > text.size()) return std::nullopt;
  std::string_view digits = text.substr(at, count);
  if (space_padded && digits.front() == ' ') digits.remove_prefix(1);
  if (!all_digits(digits)) return std::nullopt;
  int value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

// "Jan".."Dec" (case-sensitive, as the grammar has it) as 1..12.
std::optional<unsigned> month_at(std::string_view text, size_t at) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (at + 3 > text.size()) return std::nullopt;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(at, 3) == kMonths[i]) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

bool char_at(std::string_view text, size_t at, char expected) { return at < text.size() && text[at] == expected; }

// "HH:MM:SS" at `at` as seconds into the day (a leap second's :60 allowed).
std::optional<int> time_of_day_at(std::string_view text, size_t at) {
  const auto hours = number_at(text, at, 2), minutes = number_at(text, at + 3, 2), seconds = number_at(text, at + 6, 2);
  if (!hours || !minutes || !seconds || !char_at(text, at + 2, ':') || !char_at(text, at + 5, ':')) return std::nullopt;
  if (*hours > 23 || *minutes > 59 || *seconds > 60) return std::nullopt;
  return *hours * 3600 + *minutes * 60 + *seconds;
}

std::optional<int64_t> unix_seconds(int year, std::optional<unsigned> month, std::optional<int> day,
                                    std::optional<int> seconds_of_day) {
  if (!month || !day || !seconds_of_day || *day < 1) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{*month},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;  // 31 Nov, 29 Feb of a common year
  return std::chrono::sys_days{date}.time_since_epoch().count() * int64_t{86400} + *seconds_of_day;
}

bool letters(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

}  // namespace retry_after_detail

std::optional<int64_t> parse_http_date(std::string_view text, int64_t now_unix_ms) {
  using namespace retry_after_detail;
  text = trimmed(text);
  const size_t comma = text.find(',');
  if (comma == 3 && text.size() == 29) {
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (!letters(text.substr(0, 3)) || !char_at(text, 4, ' ') || !char_at(text, 7, ' ') || !char_at(text, 11, ' ') ||
        !char_at(text, 16, ' ') || !char_at(text, 25, ' ') || text.substr(26) != "GMT") {
      return std::nullopt;
    }
    const auto year = number_at(text, 12, 4);
    if (!year) return std::nullopt;
    return unix_seconds(*year, month_at(text, 8), number_at(text, 5, 2), time_of_day_at(text, 17));
  }
  if (comma != std::string_view::npos) {
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
    if (!letters(text.substr(0, comma))) return std::nullopt;
    const std::string_view rest = text.substr(comma + 1);
    if (rest.size() != 23 || rest[0] != ' ' || rest[3] != '-' || rest[7] != '-' || rest[10] != ' ' || rest[19] != ' ' ||
        rest.substr(20) != "GMT") {
      return std::nullopt;
    }
    const auto two_digit_year = number_at(rest, 8, 2);
    if (!two_digit_year) return std::nullopt;
    // RFC 9110 § 5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const std::chrono::sys_time<std::chrono::milliseconds> now{std::chrono::milliseconds(now_unix_ms)};
    const int this_year =
        static_cast<int>(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)}.year());
    int year = this_year - this_year % 100 + *two_digit_year;
    if (year > this_year + 50) year -= 100;
    return unix_seconds(year, month_at(rest, 4), number_at(rest, 1, 2), time_of_day_at(rest, 11));
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (text.size() != 24 || !letters(text.substr(0, 3)) || text[3] != ' ' || text[7] != ' ' || text[10] != ' ' ||
      text[19] != ' ') {
    return std::nullopt;
  }
  const auto year = number_at(text, 20, 4);
  if (!year) return std::nullopt;
  return unix_seconds(*year, month_at(text, 4), number_at(text, 8, 2, /*space_padded=*/true), time_of_day_at(text, 11));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, int64_t now_unix_ms) {
  using namespace retry_after_detail;
  value = trimmed(value);
  int64_t delay_ms = 0;
  if (all_digits(value)) {
    // More digits than an hour needs would only overflow: anything that long is the cap.
    if (value.size() > 9) return kMaxRetryAfter;
    int64_t seconds = 0;
    for (const char c : value) seconds = seconds * 10 + (c - '0');
    delay_ms = seconds * 1000;
  } else {
    const auto date = parse_http_date(value, now_unix_ms);
    if (!date) return std::nullopt;
    delay_ms = *date * 1000 - now_unix_ms;
  }
  return std::clamp(std::chrono::milliseconds(delay_ms), kMinRetryAfter, kMaxRetryAfter);
}

}  // namespace fulcrum::acme
