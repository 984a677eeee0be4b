#pragma once
// RampAdmission: slow start for the algorithms that choose by turn or by hash (round_robin,
// weighted_round_robin, ip_hash without a key, random_two_choices' sampling). When the
// algorithm proposes a target that is ramping with factor f, it is admitted with probability f;
// otherwise the algorithm moves on to its next proposal. Over many picks a ramping target so
// takes f x its normal share, and the others absorb the rest in their usual proportions.
//
// The number of rejections per pick is bounded (kMaxRampRejections) so a pick stays O(1) even
// when every target is ramping; the proposal after the last rejection is taken as is. When all
// targets ramp together they are symmetric, so the bound does not skew their shares.
#include <cstdint>

#include "balance/candidate_list.hpp"
#include "balance/fast_random.hpp"

namespace fulcrum::balance {

inline constexpr uint32_t kMaxRampRejections = 8;

class RampAdmission {
 public:
  RampAdmission(const CandidateList& candidates, int64_t now_ms, FastRandom& random)
      : candidates_(candidates),
        now_ms_(now_ms),
        random_(random),
        active_(candidates.may_ramp(now_ms)) {}

  // Called once per proposal (a candidate position); true means take it.
  bool admit(uint32_t position) {
    if (!active_ || rejections_ >= kMaxRampRejections) return true;
    const double factor = candidates_.ramp_factor(position, now_ms_);
    if (factor >= 1.0 || random_.unit() < factor) return true;
    ++rejections_;
    return false;
  }

 private:
  const CandidateList& candidates_;
  int64_t now_ms_;
  FastRandom& random_;
  bool active_;
  uint32_t rejections_ = 0;
};

}  // namespace fulcrum::balance
