#include "upstream/worker_upstreams.hpp"

namespace fulcrum::upstream {

void WorkerUpstreams::install(std::shared_ptr<const Snapshot> snapshot) {
  std::vector<std::unique_ptr<balance::Picker>> pickers;
  pickers.reserve(snapshot->groups.size());
  for (const auto& group : snapshot->groups) pickers.push_back(group.pickers->for_worker(worker_index_));
  pickers_ = std::move(pickers);
  snapshot_ = std::move(snapshot);
}

balance::Picker* WorkerUpstreams::picker_for(const Snapshot& mine, size_t group_index,
                                             std::unique_ptr<balance::Picker>& own) {
  if (snapshot_.get() == &mine) return pickers_[group_index].get();
  if (!snapshot_ || snapshot_->config != mine.config) return nullptr;
  if (!own) own = mine.groups[group_index].pickers->for_worker(0);
  return own.get();
}

}  // namespace fulcrum::upstream
