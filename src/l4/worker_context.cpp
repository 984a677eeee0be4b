#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

void WorkerContext::release_io() {
  live_sessions.terminate_all();
  connect_deadlines.close();
  idle_deadlines.close();
  readiness.close();
}

void WorkerContext::install(std::shared_ptr<const upstream::Snapshot> snapshot) {
  std::vector<upstream::GroupSplit> splits;
  splits.reserve(snapshot->config->listeners.size());
  for (const auto& listener : snapshot->config->listeners) {
    splits.emplace_back(*snapshot, listener.default_action.forward);
  }
  listener_splits = std::move(splits);
  upstreams.install(std::move(snapshot));
}

}  // namespace fulcrum::l4
