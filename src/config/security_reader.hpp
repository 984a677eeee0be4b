#pragma once
// A listener's `security:` section: access lists, per-client limits, WAF pattern rules.
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/map_fields.hpp"
#include "config/rule_reader.hpp"

namespace fulcrum::config {

Security read_security(const Field& field, const ListenerContext& listener, Diagnostics& diagnostics);

}  // namespace fulcrum::config
