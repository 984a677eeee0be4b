#pragma once
// CandidateList: the targets of one TargetSet that may take new traffic (eligible, weight > 0),
// copied into one compact array so that pickers walk contiguous memory. Built once per snapshot
// by the factory, then only read. Also answers the questions every algorithm asks: is a target
// a candidate, is any candidate left after `avoid`, could anyone be in slow start right now.
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "balance/picker.hpp"
#include "balance/slow_start.hpp"

namespace fulcrum::balance {

// 16 bytes, so that a 10,000-target group's candidates take 160 KiB and a scan window shares
// cache lines; what only the factory or slow start reads lives in side arrays.
struct Candidate {
  const TargetCounters* counters = nullptr;  // never null: a shared idle block stands in
  uint32_t target = 0;                       // index into TargetSet::targets
  float inverse_weight = 1.0F;               // scores multiply instead of dividing per pick
};

inline bool contains(std::span<const uint32_t> avoid, uint32_t target) {
  for (const uint32_t avoided : avoid) {
    if (avoided == target) return true;
  }
  return false;
}

class CandidateList {
 public:
  CandidateList(const TargetSet& set, const Options& options);

  uint32_t size() const { return static_cast<uint32_t>(candidates_.size()); }
  bool empty() const { return candidates_.empty(); }
  const Candidate& operator[](uint32_t position) const { return candidates_[position]; }
  uint32_t weight(uint32_t position) const { return weights_[position]; }  // never 0

  bool is_candidate(uint32_t target) const {
    return target < is_candidate_.size() && is_candidate_[target] != 0;
  }

  // True when `avoid` names every candidate, i.e. a retry has nowhere left to go.
  bool every_candidate_avoided(std::span<const uint32_t> avoid) const;

  // False whenever no candidate can be ramping at now_ms: the common case costs one compare.
  bool may_ramp(int64_t now_ms) const { return now_ms < ramp_ends_ms_; }
  double ramp_factor(uint32_t position, int64_t now_ms) const {
    return slow_start_factor(healthy_since_ms_[position], now_ms, slow_start_ms_);
  }

  // The first candidate at or after `start` (wrapping) that is not avoided. Only call when
  // every_candidate_avoided() is false; it then ends within avoid.size() + 1 steps.
  uint32_t first_not_avoided(uint32_t start, std::span<const uint32_t> avoid) const;

 private:
  std::vector<Candidate> candidates_;
  std::vector<uint32_t> weights_;          // by position
  std::vector<int64_t> healthy_since_ms_;  // by position
  std::vector<uint8_t> is_candidate_;  // by target index
  int64_t slow_start_ms_ = 0;
  int64_t ramp_ends_ms_ = std::numeric_limits<int64_t>::min();
};

}  // namespace fulcrum::balance
