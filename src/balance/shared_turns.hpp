#pragma once
// SharedTurns: the one turn counter of a turn-taking group (round_robin, weighted_round_robin),
// shared by every worker's picker of a snapshot. Each pick takes the next turn number with one
// relaxed fetch_add and maps it to a candidate by a pure function of the number, so the picks of
// all workers together follow the group's sequence exactly, in whatever order the workers come.
// Per-worker cursors could not: two workers each walking a smooth sequence interleave into an
// unsmooth one (5:2 through a two-worker listener gave runs of up to six A).
//
// Relaxed is enough: fetch_add hands out every number exactly once whatever the ordering, and
// nothing else is published through the counter. The counter is 64-bit so it never wraps (at a
// billion picks a second, 584 years); the turn is taken modulo the period, not the counter.
// It sits on a cache line of its own: it is the only word the workers write, and sharing a line
// with the read-only tables would make every pick miss on them too.
#include <atomic>
#include <cstdint>
#include <optional>

#include "balance/candidate_list.hpp"
#include "balance/fast_random.hpp"
#include "balance/picker.hpp"
#include "balance/ramp_admission.hpp"

namespace fulcrum::balance {

// Turns a pick may skip (avoided or ramp-rejected) before it falls back to the first
// non-avoided candidate in plain order: keeps a retry O(1) when a heavy target is avoided, and
// bounds a pick even when other workers take the turns in between (a skipped turn is spent).
inline constexpr uint32_t kMaxSkippedTurns = 32;

class alignas(64) SharedTurns {
 public:
  // `first`: the turn number the group starts at (a replaced factory's, to carry on from it).
  explicit SharedTurns(uint64_t first = 0) : next_(first) {}

  // The next turn not yet taken; only for carrying a group's position over to a new snapshot.
  uint64_t next() const { return next_.load(std::memory_order_relaxed); }

  // Takes turns until one's candidate (position_of(turn), a candidate position) is neither
  // avoided nor refused by slow start, and returns that candidate's target. `random` is the
  // calling worker's own generator (slow-start admission).
  template <class PositionOf>
  std::optional<uint32_t> pick(const CandidateList& candidates, const PickRequest& request,
                               FastRandom& random, PositionOf position_of) const {
    if (candidates.empty() || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    RampAdmission admission(candidates, request.now_ms, random);
    uint32_t position = 0;
    for (uint32_t turn = 0; turn < kMaxSkippedTurns; ++turn) {
      position = position_of(next_.fetch_add(1, std::memory_order_relaxed));
      const uint32_t target = candidates[position].target;
      if (contains(request.avoid, target)) continue;
      if (!admission.admit(position)) continue;
      return target;
    }
    return candidates[candidates.first_not_avoided(position, request.avoid)].target;
  }

 private:
  mutable std::atomic<uint64_t> next_;  // mutable: the state is otherwise immutable and shared const
};

static_assert(sizeof(SharedTurns) == 64, "the counter owns its cache line");

// The turn a replaced factory of the same kind (Factory, whose state() has `turns`) had reached,
// or 0. A new snapshot then carries on from it rather than starting over at the first candidate,
// which an unrelated rebuild would otherwise favour; turns the old pickers take meanwhile may be
// given once more by the new ones, a few picks at a snapshot change.
template <class Factory>
uint64_t turn_reached(const PickerFactory* previous) {
  const auto* before = dynamic_cast<const Factory*>(previous);
  return before != nullptr ? before->state().turns.next() : 0;
}

}  // namespace fulcrum::balance
