#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {

int Snapshot::group_index(std::string_view name) const {
  for (size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].name() == name) return static_cast<int>(i);
  }
  return -1;
}

int GroupSnapshot::index_of(const balance::TargetCounters* counters) const {
  for (size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].counters.get() == counters) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace fulcrum::upstream
