#pragma once
// Passive outlier ejection for one target (Envoy's consecutive-failure detection), as pure
// logic the health monitor runs on the control thread every tick: eject after
// `consecutive_failures` failures in a row seen on real traffic, for base_ejection_time x the
// number of ejections, never more than max_ejection_percent of the group at once; the target
// comes back by itself, and each base_ejection_time it then stays clean forgives one ejection.
#include <cstdint>

#include "config/config.hpp"

namespace fulcrum::health {

struct Ejection {
  bool ejected = false;
  int64_t until_ms = 0;       // while ejected
  uint32_t ejections = 0;     // multiplier of the next ejection time
  int64_t forgive_at_ms = 0;  // when the multiplier drops by one
  bool capped = false;        // would be ejected, but the group is at its cap (logged once)
};

enum class EjectionEvent { none, ejected, returned, capped };

// `streak`: the target's consecutive failures now; `ejected_in_group` and `group_size`: how
// many of its group's configured targets are ejected and how many there are.
EjectionEvent step_ejection(Ejection& state, const config::OutlierDetection& settings, uint32_t streak,
                            size_t ejected_in_group, size_t group_size, int64_t now_ms);

// The largest number of targets of a group of `size` that may be ejected at once.
size_t ejection_cap(const config::OutlierDetection& settings, size_t size);

}  // namespace fulcrum::health
