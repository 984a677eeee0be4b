#pragma once
// Slow start: a target that became healthy recently takes a growing share of new traffic. Its
// effective weight ramps linearly from kSlowStartFloor x weight, at the moment it became healthy,
// to its full weight slow_start_ms later. Time comes from PickRequest::now_ms (pickers never
// read a clock), so tests can replay any moment.
#include <cstdint>

namespace fulcrum::balance {

// A recovered target starts at a tenth of its weight (Envoy's default minimum is 10 % too):
// small enough to protect a cold cache, large enough to warm it.
inline constexpr double kSlowStartFloor = 0.1;

// The multiplier in [kSlowStartFloor, 1] for a target healthy since healthy_since_ms.
// healthy_since_ms <= 0 means "healthy from the start": targets present when Fulcrum starts
// are not ramped, as with ELB, where slow start applies to targets that join a running group.
inline double slow_start_factor(int64_t healthy_since_ms, int64_t now_ms, int64_t slow_start_ms) {
  if (slow_start_ms <= 0 || healthy_since_ms <= 0) return 1.0;
  const int64_t elapsed = now_ms - healthy_since_ms;
  if (elapsed >= slow_start_ms) return 1.0;
  if (elapsed <= 0) return kSlowStartFloor;
  return kSlowStartFloor +
         (1.0 - kSlowStartFloor) * static_cast<double>(elapsed) / static_cast<double>(slow_start_ms);
}

}  // namespace fulcrum::balance
