#include "upstream/target_status.hpp"

#include <chrono>

namespace fulcrum::upstream {

const char* to_string(TargetState state) {
  switch (state) {
    case TargetState::initial: return "initial";
    case TargetState::healthy: return "healthy";
    case TargetState::unhealthy: return "unhealthy";
    case TargetState::draining: return "draining";
    case TargetState::unused: return "unused";
  }
  return "?";
}

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace fulcrum::upstream
