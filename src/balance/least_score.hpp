#pragma once
// pick_least_score: the selection shared by least_connections, weighted_least_connections,
// least_response_time and resource_based. Each gives a score per candidate (lower is better);
// this picks the lowest, breaking ties in turn.
//
// Scale (the trade-off): a pick does not scan a large group.
//  - Groups of up to kExactScanLimit candidates are scanned whole: the choice is the exact
//    least score, and ties rotate (each scan starts just after the previous winner).
//  - Larger groups: the least score among the kScoreWindow candidates that follow the previous
//    winner, like "best of d" sampling (Envoy's least request; the power-of-d-choices result:
//    a handful of candidates already steers clear of loaded targets almost as well as a full
//    scan). Windows never skip a candidate (the next one starts at most one past the end of
//    this one), so every target is looked at within `group size` picks. Cost: O(kScoreWindow)
//    at any group size; a full scan of 10,000 targets would cost microseconds per pick.
// Slow start divides the score by the ramp factor, so a ramping target holds proportionally
// fewer connections.
#include <cstdint>
#include <limits>
#include <optional>

#include "balance/candidate_list.hpp"
#include "balance/next_position.hpp"
#include "balance/picker.hpp"

namespace fulcrum::balance {

inline constexpr uint32_t kExactScanLimit = 16;
inline constexpr uint32_t kScoreWindow = 8;  // bounded by the < 100 ns per pick goal

// How many candidates a pick looks at in a group of `count`.
inline uint32_t score_window(uint32_t count) { return count <= kExactScanLimit ? count : kScoreWindow; }

// score_of(const Candidate&) -> double. `cursor` is the picker's own state.
template <class ScoreOf>
std::optional<uint32_t> pick_least_score(const CandidateList& candidates, uint32_t& cursor,
                                         const PickRequest& request, ScoreOf&& score_of) {
  const uint32_t count = candidates.size();
  if (count == 0 || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
  const bool ramping = candidates.may_ramp(request.now_ms);
  const uint32_t window = score_window(count);
  constexpr double kNoScore = std::numeric_limits<double>::infinity();

  // Two interleaved minimum searches (even and odd steps of the window) halve the chain of
  // dependent compare-and-selects, which is what a pick's time is made of; selects rather than
  // branches because scores are effectively random. Merged below with the same rule as one
  // search: the lower score, a tie to the earlier step, so ties go in turn.
  double best_score[2] = {kNoScore, kNoScore};
  uint32_t best_step[2] = {0, 0};
  uint32_t position = cursor < count ? cursor : 0;
  const uint32_t first_position = position;
  for (uint32_t step = 0; step < window; ++step) {
    const Candidate& candidate = candidates[position];
    double score = kNoScore;
    if (!contains(request.avoid, candidate.target)) {
      score = score_of(candidate);
      if (ramping) score /= candidates.ramp_factor(position, request.now_ms);
    }
    const uint32_t lane = step & 1;
    const bool better = score < best_score[lane];  // strict: the earlier step keeps a tie
    best_score[lane] = better ? score : best_score[lane];
    best_step[lane] = better ? step : best_step[lane];
    position = next_position(position, count);
  }
  const bool odd_wins = best_score[1] < best_score[0] ||
                        (best_score[1] == best_score[0] && best_step[1] < best_step[0]);
  const double winner_score = best_score[odd_wins ? 1 : 0];
  uint32_t best_position = 0;
  if (winner_score == kNoScore) {
    // Everything in the window was avoided (a retry in a large group): the next in turn.
    best_position = candidates.first_not_avoided(position, request.avoid);
  } else {
    const uint32_t step = best_step[odd_wins ? 1 : 0];
    best_position = first_position + step >= count ? first_position + step - count : first_position + step;
  }
  cursor = next_position(best_position, count);
  return candidates[best_position].target;
}

inline double active_plus_one(const Candidate& candidate) {
  return static_cast<double>(candidate.counters->active.load(std::memory_order_relaxed)) + 1.0;
}

// weighted_least_connections' score; resource_based divides it by the reported headroom.
inline double weighted_connections_score(const Candidate& candidate) {
  return active_plus_one(candidate) * static_cast<double>(candidate.inverse_weight);
}

}  // namespace fulcrum::balance
