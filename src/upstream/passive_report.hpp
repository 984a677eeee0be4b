#pragma once
// The passive-health API for the data path (l4 today, the HTTP proxy next): call one of these
// after every attempt on a target. Lock-free and allocation-free (two relaxed atomic ops at
// most); safe from any worker. The health room's outlier detector (health/outlier_detector.hpp)
// ejects a target after `outlier_detection.consecutive_failures` failures in a row.
//
//   connect failed          -> report_traffic_failure(group, target, TrafficFailure::connect_refused)
//   target reset/timed out  -> report_traffic_failure(group, target, TrafficFailure::reset / timeout)
//   HTTP answer 5xx         -> report_traffic_failure(group, target, TrafficFailure::http_5xx)
//                              (ignored when the group's outlier_detection.count_5xx is false)
//   completed normally      -> report_traffic_success(target)
#include "upstream/snapshot.hpp"
#include "upstream/traffic_outcomes.hpp"

namespace fulcrum::upstream {

inline void report_traffic_failure(const GroupSnapshot& group, const TargetInfo& target, TrafficFailure failure) {
  const auto& outlier = group.config->outlier_detection;
  if (!outlier.enabled) return;
  if (failure == TrafficFailure::http_5xx && !outlier.count_5xx) return;
  auto& outcomes = *target.outcomes;
  outcomes.last_failure.store(static_cast<uint8_t>(failure), std::memory_order_relaxed);
  outcomes.failures_total.fetch_add(1, std::memory_order_relaxed);
  const uint32_t streak = outcomes.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  // The streak that ejects: the monitor is told now rather than at its next tick.
  if (streak == outlier.consecutive_failures && group.doorbell) group.doorbell->ring();
}

inline void report_traffic_success(const TargetInfo& target) {
  auto& streak = target.outcomes->consecutive_failures;
  // Read first: the usual case (no streak) then never writes the shared line.
  if (streak.load(std::memory_order_relaxed) != 0) streak.store(0, std::memory_order_relaxed);
}

}  // namespace fulcrum::upstream
