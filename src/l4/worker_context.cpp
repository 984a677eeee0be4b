#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

void WorkerContext::release_io() {
  live_sessions.terminate_all();
  connect_deadlines.close();
  idle_deadlines.close();
  readiness.close();
}

bool WorkerContext::admit(size_t listener_index, const core::Endpoint& peer, security::ClientTicket& ticket) {
  if (!listener_guards || listener_index >= listener_guards->size()) return true;
  const security::ListenerGuard& guard = (*listener_guards)[listener_index];
  if (guard.open() || guard.after_proxy_header) return true;
  return guards->admit(guard, security::ClientAddress::from(peer.address()), ticket);
}

bool WorkerContext::admit_announced(size_t listener_index, const core::Endpoint& client,
                                    security::ClientTicket& ticket) {
  if (!listener_guards || listener_index >= listener_guards->size()) return true;
  const security::ListenerGuard& guard = (*listener_guards)[listener_index];
  if (guard.open()) return true;
  return guards->admit(guard, security::ClientAddress::from(client.address()), ticket);
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
  if (guards != nullptr) listener_guards = guards->for_config(snapshot->config);
  listener_splits = std::move(splits);
  rule_splits = std::move(by_rule);
}

}  // namespace fulcrum::l4
