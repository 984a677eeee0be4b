#pragma once
// least_connections: the candidate with the fewest active connections (TargetCounters::active,
// shared by all workers), ties in turn. Weights are ignored except that weight 0 takes nothing;
// see weighted_least_connections for the weighted form. Scaling: least_score.hpp.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

std::unique_ptr<PickerFactory> make_least_connections_factory(std::shared_ptr<const TargetSet> set,
                                                              const Options& options);

}  // namespace fulcrum::balance
