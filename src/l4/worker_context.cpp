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
  std::vector<std::vector<upstream::GroupSplit>> by_rule(snapshot->config->listeners.size());
  splits.reserve(snapshot->config->listeners.size());
  for (size_t i = 0; i < snapshot->config->listeners.size(); ++i) {
    const auto& listener = snapshot->config->listeners[i];
    splits.emplace_back(*snapshot, listener.default_action.forward);
    if (listener.protocol != config::ListenerProtocol::tls) continue;
    for (const auto& rule : listener.rules) by_rule[i].emplace_back(*snapshot, rule.action.forward);
  }
  listener_splits = std::move(splits);
  rule_splits = std::move(by_rule);
  upstreams.install(std::move(snapshot));
}

}  // namespace fulcrum::l4
