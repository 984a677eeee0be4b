#pragma once
// A worker's view of the upstream world: the snapshot it currently serves from and its own
// picker per group. Touched only by the worker's thread; the control thread replaces it by
// posting install() to the worker's loop, so reading it needs no atomic and no lock.
#include <memory>
#include <vector>

#include "upstream/open_sessions.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {

class WorkerUpstreams {
 public:
  explicit WorkerUpstreams(uint32_t worker_index) : worker_index_(worker_index) {}

  void install(std::shared_ptr<const Snapshot> snapshot);
  bool ready() const { return snapshot_ != nullptr; }
  const std::shared_ptr<const Snapshot>& snapshot() const { return snapshot_; }
  balance::Picker& picker(size_t group_index) { return *pickers_[group_index]; }
  // The picker for group `group_index` of `mine`, the snapshot a connection or request started
  // with, whose target indexes the caller holds. While `mine` is installed: the worker's own.
  // After a newer snapshot of the same configuration (a health change, often the ejection of
  // the target that just failed): `own`, made from `mine`'s factory on first need (rare: one
  // allocation). Null when a reload's new configuration may have moved the groups.
  balance::Picker* picker_for(const Snapshot& mine, size_t group_index, std::unique_ptr<balance::Picker>& own);
  // Sessions connected to a target, for closing a drained target's connections.
  OpenSessions& sessions() { return sessions_; }

 private:
  uint32_t worker_index_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::unique_ptr<balance::Picker>> pickers_;
  OpenSessions sessions_;
};

}  // namespace fulcrum::upstream
