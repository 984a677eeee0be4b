#pragma once
// Chooses the target group of a forward action that names one group or splits among several by
// weight (canary). Used by TCP listeners and by HTTP rules and default actions. Per worker,
// deterministic, allocation-free: smooth weighted round robin (as nginx), so a 90/10 split
// interleaves evenly over time.
#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {

class GroupSplit {
 public:
  GroupSplit() = default;
  GroupSplit(const upstream::Snapshot& snapshot, const std::vector<config::WeightedGroup>& groups);
  // Index into snapshot.groups, or -1 when the action names no group.
  int next();

 private:
  struct Entry {
    int group_index;
    int64_t weight;
    int64_t current = 0;
  };
  std::vector<Entry> entries_;
  int64_t total_ = 0;
};

}  // namespace fulcrum::upstream
