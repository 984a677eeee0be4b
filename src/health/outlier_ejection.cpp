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

}  // namespace fulcrum::health
