#pragma once
// A listener's rules and default action, prepared for one worker: each rule's conditions
// compiled (RuleMatcher) and each forward action with its own weighted group split. Built when
// a snapshot is installed; route() runs per request, first match wins, without allocating.
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "http/exchange/rule_matcher.hpp"
#include "upstream/group_split.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::http {

struct RouteTarget {
  const config::Action* action = nullptr;
  std::string_view rule_name;  // empty for the default action
  upstream::GroupSplit split;
};

class ListenerRoutes {
 public:
  ListenerRoutes(const upstream::Snapshot& snapshot, const config::ListenerConfig& listener);

  RouteTarget& route(const RequestFacts& request);
  RouteTarget& default_route() { return default_; }
  bool has_rules() const { return !rules_.empty(); }

 private:
  struct CompiledRule {
    RuleMatcher matcher;
    RouteTarget target;
  };
  std::vector<CompiledRule> rules_;
  RouteTarget default_;
};

}  // namespace fulcrum::http
