#include "balance/candidate_list.hpp"

#include <algorithm>

namespace fulcrum::balance {
namespace {

// Targets without counters (tests, or an upstream that tracks nothing) read as idle.
const TargetCounters kIdleCounters{};

}  // namespace

CandidateList::CandidateList(const TargetSet& set, const Options& options)
    : is_candidate_(set.targets.size(), 0), slow_start_ms_(options.slow_start_ms) {
  candidates_.reserve(set.eligible.size());
  weights_.reserve(set.eligible.size());
  healthy_since_ms_.reserve(set.eligible.size());
  for (const uint32_t index : set.eligible) {
    // A stale or duplicated index is a bug upstream; skipping it beats crashing a worker.
    if (index >= set.targets.size() || is_candidate_[index] != 0) continue;
    const Target& target = set.targets[index];
    if (target.weight == 0) continue;  // weight 0 takes no new traffic
    is_candidate_[index] = 1;
    Candidate candidate;
    candidate.counters = target.counters != nullptr ? target.counters : &kIdleCounters;
    candidate.target = index;
    candidate.inverse_weight = 1.0F / static_cast<float>(target.weight);
    candidates_.push_back(candidate);
    weights_.push_back(target.weight);
    healthy_since_ms_.push_back(target.healthy_since_ms);
    if (options.slow_start_ms > 0 && target.healthy_since_ms > 0) {
      ramp_ends_ms_ = std::max(ramp_ends_ms_, target.healthy_since_ms + options.slow_start_ms);
    }
  }
}

bool CandidateList::every_candidate_avoided(std::span<const uint32_t> avoid) const {
  if (avoid.size() < candidates_.size()) return false;  // the common retry: a few avoided
  uint32_t distinct = 0;
  for (size_t i = 0; i < avoid.size(); ++i) {
    if (!is_candidate(avoid[i])) continue;
    if (contains(avoid.first(i), avoid[i])) continue;  // counted already
    ++distinct;
  }
  return distinct >= candidates_.size();
}

uint32_t CandidateList::first_not_avoided(uint32_t start, std::span<const uint32_t> avoid) const {
  const uint32_t count = size();
  uint32_t position = start % count;
  for (uint32_t step = 0; step < count; ++step) {
    if (!contains(avoid, candidates_[position].target)) return position;
    position = position + 1 == count ? 0 : position + 1;
  }
  return start % count;  // unreachable when the precondition holds
}

}  // namespace fulcrum::balance
