#pragma once
// The immutable picture of every target group that workers read without locks: built on the
// control thread whenever configuration, membership or health changes, then posted to each
// worker (DESIGN.md § Process model). Connections in flight keep the snapshot they started
// with alive through their shared_ptr.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "balance/picker.hpp"
#include "config/config.hpp"
#include "core/endpoint.hpp"
#include "upstream/outlier_doorbell.hpp"
#include "upstream/pick_request.hpp"
#include "upstream/retry_budget.hpp"
#include "upstream/target_status.hpp"
#include "upstream/traffic_outcomes.hpp"
#include "upstream/traffic_stats.hpp"

namespace fulcrum::upstream {

struct TargetInfo {
  core::Endpoint address;
  std::string address_text;  // canonical, for logs and the API
  uint32_t weight = 1;
  std::string zone;
  std::string origin;  // "" (the file or the admin API), "dns:NAME" or "srv:NAME" (discovery)
  uint32_t tier = 0;   // SRV priority rank: only the lowest tier with a healthy target is picked
  std::shared_ptr<balance::TargetCounters> counters;  // lives as long as any snapshot names it
  std::shared_ptr<TrafficOutcomes> outcomes;          // passive health (passive_report.hpp)
  std::shared_ptr<TrafficStats> stats;                // what traffic did (metrics), per worker
  TargetStatus status;                                // state and the reason for it
};

struct GroupSnapshot {
  const config::TargetGroupConfig* config = nullptr;  // points into Snapshot::config
  std::vector<TargetInfo> targets;                     // parallel to pickers->targets().targets
  std::unique_ptr<balance::PickerFactory> pickers;
  KeySource key_source;  // what ip_hash hashes (pick_request.hpp); none for other algorithms
  std::shared_ptr<RetryBudget> retry_budget;  // HTTP retries in flight; kept across reloads by name
  // Rung when a target's failures in a row reach consecutive_failures (passive_report.hpp).
  std::shared_ptr<const OutlierDoorbell> doorbell;
  // Targets removed from the configuration whose open connections may still finish
  // (deregistration_delay): shown, never picked.
  std::vector<TargetInfo> draining;
  bool used = true;          // referenced by some listener
  bool failing_open = false;  // no healthy target: every initial/unhealthy one is eligible (fail_open)

  const std::string& name() const { return config->name; }
  // The index in `targets` of the target counting in `counters`, or -1 (not in the group, or
  // draining). A linear scan: for rare events, never per request.
  int index_of(const balance::TargetCounters* counters) const;
};

struct Snapshot {
  uint64_t version = 0;
  std::shared_ptr<const config::Config> config;
  std::vector<GroupSnapshot> groups;  // same order as config->target_groups
  // Per listener, same order as config->listeners; kept across reloads by listener name.
  std::vector<std::shared_ptr<TrafficStats>> listener_stats;

  // Index into groups, or -1.
  int group_index(std::string_view name) const;
};

}  // namespace fulcrum::upstream
