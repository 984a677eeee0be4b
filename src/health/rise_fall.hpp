#pragma once
// The rise/fall counter of active checks (HAProxy `rise`/`fall`, ELB thresholds): healthy
// after healthy_threshold successes in a row, unhealthy after unhealthy_threshold failures in
// a row. A target not judged yet is decided by its first check either way (as Envoy does), so
// a new target takes traffic after one good check and a dead one is known after one bad check.
#include <cstdint>

namespace fulcrum::health {

enum class Verdict { initial, healthy, unhealthy };

class RiseFall {
 public:
  RiseFall(uint32_t healthy_threshold, uint32_t unhealthy_threshold)
      : rise_(healthy_threshold), fall_(unhealthy_threshold) {}

  // Counts one check; true when the verdict changed.
  bool record(bool ok) {
    if (verdict_ == Verdict::initial) {
      verdict_ = ok ? Verdict::healthy : Verdict::unhealthy;
      streak_ = 0;
      return true;
    }
    const bool agrees = (verdict_ == Verdict::healthy) == ok;
    if (agrees) {
      streak_ = 0;
      return false;
    }
    if (++streak_ < (ok ? rise_ : fall_)) return false;
    verdict_ = ok ? Verdict::healthy : Verdict::unhealthy;
    streak_ = 0;
    return true;
  }

  Verdict verdict() const { return verdict_; }
  // Checks in a row that disagree with the current verdict.
  uint32_t streak() const { return streak_; }

 private:
  uint32_t rise_;
  uint32_t fall_;
  Verdict verdict_ = Verdict::initial;
  uint32_t streak_ = 0;
};

}  // namespace fulcrum::health
