#pragma once
// Monotonic time in the units the data path uses. Pickers and counters take "now" as an
// argument; only the edges (sessions, health checks, timers) read the clock.
#include <chrono>
#include <cstdint>

namespace fulcrum::core {

using SteadyClock = std::chrono::steady_clock;

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count();
}

inline int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now().time_since_epoch()).count();
}

}  // namespace fulcrum::core
