#pragma once
// One entry of `listeners:`: address, protocol, TLS, rules, default action, security.
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/map_fields.hpp"
#include "config/rule_reader.hpp"

namespace fulcrum::config {

// Target groups named by forward actions are appended to `references` for the caller to check.
ListenerConfig read_listener(const Field& item, std::vector<GroupReference>& references, Diagnostics& diagnostics);

}  // namespace fulcrum::config
