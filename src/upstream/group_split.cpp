#include "upstream/group_split.hpp"

namespace fulcrum::upstream {

GroupSplit::GroupSplit(const upstream::Snapshot& snapshot, const std::vector<config::WeightedGroup>& groups) {
  for (const auto& group : groups) {
    int index = snapshot.group_index(group.group);
    if (index < 0 || group.weight == 0) continue;
    entries_.push_back({index, static_cast<int64_t>(group.weight)});
    total_ += group.weight;
  }
}

int GroupSplit::next() {
  if (entries_.empty()) return -1;
  if (entries_.size() == 1) return entries_[0].group_index;
  Entry* best = nullptr;
  for (auto& entry : entries_) {
    entry.current += entry.weight;
    if (best == nullptr || entry.current > best->current) best = &entry;
  }
  best->current -= total_;
  return best->group_index;
}

}  // namespace fulcrum::upstream
