#pragma once
// The `resolver:` section: how DNS discovery (`dns:` and `srv:` targets) resolves names.
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/map_fields.hpp"

namespace fulcrum::config {

ResolverConfig read_resolver(const Field& field, Diagnostics& diagnostics);

}  // namespace fulcrum::config
