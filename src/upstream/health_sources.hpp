#pragma once
// The two health sources behind a target's status, each with its own state and reason: the
// active checks' verdict and the passive (outlier) ejection. The status (target_status.hpp)
// says which one decides; these say what each of them thinks, so that a person can see a
// target that passes its checks but is ejected on traffic (a gray failure), or one ejected
// while its checks already fail. Set by the health room, shown by the admin API.
#include <cstdint>
#include <string>

namespace fulcrum::upstream {

// disabled: the group has no health_check. initial: no check answered yet.
enum class ActiveState { disabled, initial, healthy, unhealthy };

const char* to_string(ActiveState state);

struct ActiveHealth {
  ActiveState state = ActiveState::initial;
  std::string reason_code;  // as in TargetStatus: "Elb.HealthChecksPassed", "Target.Timeout", ...
  std::string reason;
  int64_t since_unix_ms = 0;  // when the verdict last changed

  bool operator==(const ActiveHealth&) const = default;
};

struct PassiveHealth {
  bool enabled = true;  // the group's outlier_detection
  bool ejected = false;
  // Target.OutlierEjected while ejected; afterwards how the last ejection ended
  // (Target.EjectionEnded: its time ran out; Target.EjectionCleared: an active recovery);
  // empty before the first ejection.
  std::string reason_code;
  std::string reason;
  int64_t since_unix_ms = 0;  // when the last of those happened
  int64_t until_unix_ms = 0;  // while ejected: when it ends by itself
  uint32_t ejections = 0;     // the multiplier of the next ejection time (forgiven over time)

  bool operator==(const PassiveHealth&) const = default;
};

struct HealthSources {
  ActiveHealth active;
  PassiveHealth passive;

  bool operator==(const HealthSources&) const = default;
};

}  // namespace fulcrum::upstream
