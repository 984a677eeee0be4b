#include "health/outlier_ejection.hpp"

namespace fulcrum::health {

size_t ejection_cap(const config::OutlierDetection& settings, size_t size) {
  return size * settings.max_ejection_percent / 100;
}

EjectionEvent step_ejection(Ejection& state, const config::OutlierDetection& settings, uint32_t streak,
                            size_t ejected_in_group, size_t group_size, int64_t now_ms) {
  const int64_t base = settings.base_ejection_time.count();
  if (state.ejected) {
    if (now_ms < state.until_ms) return EjectionEvent::none;
    state.ejected = false;
    state.forgive_at_ms = now_ms + base;
    return EjectionEvent::returned;
  }
  if (state.ejections > 0 && now_ms >= state.forgive_at_ms) {
    --state.ejections;
    state.forgive_at_ms = now_ms + base;
  }
  if (!settings.enabled || streak < settings.consecutive_failures) {
    state.capped = false;
    return EjectionEvent::none;
  }
  if (ejected_in_group + 1 > ejection_cap(settings, group_size)) {
    if (state.capped) return EjectionEvent::none;
    state.capped = true;
    return EjectionEvent::capped;
  }
  state.capped = false;
  state.ejected = true;
  ++state.ejections;
  state.until_ms = now_ms + base * state.ejections;
  return EjectionEvent::ejected;
}

EjectionEvent end_on_recovery(Ejection& state, const config::OutlierDetection& settings, Verdict from, Verdict to,
                              int64_t now_ms) {
  if (!state.ejected || from != Verdict::unhealthy || to != Verdict::healthy) return EjectionEvent::none;
  state.ejected = false;
  state.capped = false;
  // The multiplier stays, and is forgiven from now on as after an ejection that ran out: it
  // counts how often real traffic found the target failing, which the recovery does not undo.
  // A target that keeps breaking (fails, recovers, fails again) would otherwise come back at
  // the base time every time its next failure is one the checks do not see; a target that
  // stays fixed is forgiven one ejection per clean base_ejection_time as before. Keeping it
  // costs a recovered target nothing: while its checks see it fail and recover, each such
  // ejection ends at the recovery whatever its length.
  state.forgive_at_ms = now_ms + settings.base_ejection_time.count();
  return EjectionEvent::cleared;
}

}  // namespace fulcrum::health
