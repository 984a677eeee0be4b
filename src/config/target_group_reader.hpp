#pragma once
// One entry of `target_groups:`: algorithm, health check, stickiness, targets.
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/map_fields.hpp"

namespace fulcrum::config {

TargetGroupConfig read_target_group(const Field& item, Diagnostics& diagnostics);

}  // namespace fulcrum::config
