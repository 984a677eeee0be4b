#pragma once
// Passive outlier ejection for one target (Envoy's consecutive-failure detection), as pure
// logic the health monitor runs on the control thread every tick: eject after
// `consecutive_failures` failures in a row seen on real traffic, for base_ejection_time x the
// number of ejections, never more than max_ejection_percent of the group at once; the target
// comes back by itself, and each base_ejection_time it then stays clean forgives one ejection.
// Active checks end an ejection early only when they see the target recover (end_on_recovery).
#include <cstdint>

#include "config/config.hpp"
#include "health/rise_fall.hpp"

namespace fulcrum::health {

struct Ejection {
  bool ejected = false;
  int64_t until_ms = 0;       // while ejected
  uint32_t ejections = 0;     // multiplier of the next ejection time
  int64_t forgive_at_ms = 0;  // when the multiplier drops by one
  bool capped = false;        // would be ejected, but the group is at its cap (logged once)
};

// cleared: an active recovery ended the ejection before its time (end_on_recovery).
enum class EjectionEvent { none, ejected, returned, capped, cleared };

// `streak`: the target's consecutive failures now; `ejected_in_group` and `group_size`: how
// many of its group's configured targets are ejected and how many there are.
EjectionEvent step_ejection(Ejection& state, const config::OutlierDetection& settings, uint32_t streak,
                            size_t ejected_in_group, size_t group_size, int64_t now_ms);

// The active checks' verdict went from `from` to `to`. Only a recovery (unhealthy -> healthy)
// ends an ejection: the checks saw the target fail and then work again, so what ejected it
// is most likely what they saw, and it is fixed. A target that passes its checks all along
// while failing real traffic (a gray failure: /health answers, the application does not)
// stays ejected for its full time; a first verdict (initial -> healthy) proves nothing either.
// (Envoy's successful_active_health_check_uneject_host, on by default, un-ejects on any
// passing check, which undoes every ejection of a gray failure within one interval.)
EjectionEvent end_on_recovery(Ejection& state, const config::OutlierDetection& settings, Verdict from, Verdict to,
                              int64_t now_ms);

// The largest number of targets of a group of `size` that may be ejected at once.
size_t ejection_cap(const config::OutlierDetection& settings, size_t size);

}  // namespace fulcrum::health
