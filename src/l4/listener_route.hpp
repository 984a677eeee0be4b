#pragma once
// Chooses the target group for a new connection on a listener whose default action forwards
// to one group or splits among several by weight (canary). Per worker, deterministic and
// allocation-free: a counter walks a smooth weighted sequence.
#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::l4 {

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

}  // namespace fulcrum::l4
