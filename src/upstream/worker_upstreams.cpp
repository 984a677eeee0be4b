#include "upstream/worker_upstreams.hpp"

namespace fulcrum::upstream {

void WorkerUpstreams::install(std::shared_ptr<const Snapshot> snapshot) {
  std::vector<std::unique_ptr<balance::Picker>> pickers;
  pickers.reserve(snapshot->groups.size());
  for (const auto& group : snapshot->groups) pickers.push_back(group.pickers->for_worker(worker_index_));
  pickers_ = std::move(pickers);
  snapshot_ = std::move(snapshot);
}

}  // namespace fulcrum::upstream
