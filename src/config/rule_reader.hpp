#pragma once
// Rules and actions of a listener: match conditions, forward / redirect / fixed_response.
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/map_fields.hpp"

namespace fulcrum::config {

// A target group named by a forward action; checked once every group has been read.
struct GroupReference {
  std::string name;
  YAML::Mark mark;
  std::string listener;  // the listener that forwards there, and what it speaks
  ListenerProtocol protocol = ListenerProtocol::tcp;
};

// What a rule or default action needs to know about the listener it belongs to.
struct ListenerContext {
  std::string name;
  ListenerProtocol protocol = ListenerProtocol::tcp;
  std::vector<GroupReference>* references = nullptr;
};

// `index` is the rule's 0-based position, which names unnamed rules ("#1", "#2", ...).
Rule read_rule(const Field& item, std::size_t index, const ListenerContext& listener, Diagnostics& diagnostics);

// The listener's `default:` section: exactly one action, no conditions.
Action read_default_action(const Field& field, const ListenerContext& listener, Diagnostics& diagnostics);

}  // namespace fulcrum::config
