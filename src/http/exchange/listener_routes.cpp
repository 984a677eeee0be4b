#include "http/exchange/listener_routes.hpp"

namespace fulcrum::http {

ListenerRoutes::ListenerRoutes(const upstream::Snapshot& snapshot, const config::ListenerConfig& listener) {
  for (const auto& rule : listener.rules) {
    CompiledRule compiled;
    compiled.matcher = RuleMatcher(rule.match);
    compiled.target.action = &rule.action;
    compiled.target.rule_name = rule.name;
    compiled.target.split = upstream::GroupSplit(snapshot, rule.action.forward);
    rules_.push_back(std::move(compiled));
  }
  default_.action = &listener.default_action;
  default_.split = upstream::GroupSplit(snapshot, listener.default_action.forward);
}

RouteTarget& ListenerRoutes::route(const RequestFacts& request) {
  for (auto& rule : rules_) {
    if (rule.matcher.matches(request)) return rule.target;
  }
  return default_;
}

}  // namespace fulcrum::http
