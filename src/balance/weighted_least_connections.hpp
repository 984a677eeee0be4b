#pragma once
// weighted_least_connections: the least (active + 1) / weight, ties in turn. The + 1 (as in
// HAProxy) makes an idle heavy target preferred over an idle light one, and keeps active
// connections in proportion to weights under load. Scaling: least_score.hpp.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

std::unique_ptr<PickerFactory> make_weighted_least_connections_factory(
    std::shared_ptr<const TargetSet> set, const Options& options);

}  // namespace fulcrum::balance
