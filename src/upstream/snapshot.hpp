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

namespace fulcrum::upstream {

struct TargetInfo {
  core::Endpoint address;
  std::string address_text;  // canonical, for logs and the API
  uint32_t weight = 1;
  std::string zone;
  std::shared_ptr<balance::TargetCounters> counters;  // lives as long as any snapshot names it
};

struct GroupSnapshot {
  const config::TargetGroupConfig* config = nullptr;  // points into Snapshot::config
  std::vector<TargetInfo> targets;                     // parallel to pickers->targets().targets
  std::unique_ptr<balance::PickerFactory> pickers;

  const std::string& name() const { return config->name; }
};

struct Snapshot {
  uint64_t version = 0;
  std::shared_ptr<const config::Config> config;
  std::vector<GroupSnapshot> groups;  // same order as config->target_groups

  // Index into groups, or -1.
  int group_index(std::string_view name) const;
};

}  // namespace fulcrum::upstream
