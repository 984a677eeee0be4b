#pragma once
// What a person must be able to see about a target: its state and why it is in it (ELB's
// reason codes, plus one readable sentence), since when. Decided on the control thread (the
// health room and the registry), published in the snapshot.
#include <cstdint>
#include <string>

namespace fulcrum::upstream {

// initial: not judged yet. healthy: takes new traffic. unhealthy: failed its checks, or was
// ejected on real traffic, or its agent says down. draining: removed from the configuration
// (or told to drain by its agent): no new traffic, open connections may finish. unused: its
// group is referenced by no listener.
enum class TargetState { initial, healthy, unhealthy, draining, unused };

const char* to_string(TargetState state);

struct TargetStatus {
  TargetState state = TargetState::initial;
  std::string reason_code;  // "Target.Timeout", "Elb.InitialHealthChecking", ...
  std::string reason;       // "no answer within 2s"
  int64_t since_unix_ms = 0;  // wall-clock time of the transition into this state (or reason)

  // Out because real traffic failed on it (outlier ejection), not because of a check or an agent.
  bool ejected_on_traffic() const { return state == TargetState::unhealthy && reason_code == "Target.OutlierEjected"; }

  bool operator==(const TargetStatus& other) const {
    return state == other.state && reason_code == other.reason_code && reason == other.reason;
  }
};

int64_t unix_now_ms();

}  // namespace fulcrum::upstream
