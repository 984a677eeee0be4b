#include "config/did_you_mean.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "config/ascii_case.hpp"

namespace fulcrum::config {
namespace {

// A typo budget that grows with the word: one edit for short words, about a third for long ones.
// Beyond that a "suggestion" is noise ("icmp" is two edits from "tcp" but no typo of it).
std::size_t max_distance(std::string_view word) {
  if (word.size() <= 4) return 1;
  return std::max<std::size_t>(2, word.size() / 3);
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower_case(text[i]) != lower_case(prefix[i])) return false;
  }
  return true;
}

template <typename Candidate>
std::optional<std::string> closest(std::string_view word, std::span<const Candidate> candidates) {
  std::optional<std::string> best;
  // Ranked by distance, and at equal distance a real typo beats a truncation.
  std::pair<std::size_t, bool> best_rank{max_distance(word) + 1, false};
  for (const auto& candidate : candidates) {
    std::string_view text(candidate);
    std::pair<std::size_t, bool> rank{edit_distance(word, text), false};
    // A truncated word ("strict" for "strictest") is a typo too, however many letters are missing.
    if (rank.first > max_distance(word) && word.size() >= 4 && starts_with_ignoring_case(text, word)) {
      rank = {max_distance(word), true};
    }
    if (rank < best_rank) {
      best_rank = rank;
      best = std::string(text);
    }
  }
  return best;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  // Three rows suffice: transpositions look two rows back.
  std::vector<std::size_t> before(m + 1), previous(m + 1), current(m + 1);
  for (std::size_t j = 0; j <= m; ++j) previous[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = lower_case(a[i - 1]) == lower_case(b[j - 1]) ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && lower_case(a[i - 1]) == lower_case(b[j - 2]) && lower_case(a[i - 2]) == lower_case(b[j - 1])) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[m];
}

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates) {
  return closest(word, candidates);
}

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates) {
  return closest(word, candidates);
}

}  // namespace fulcrum::config
