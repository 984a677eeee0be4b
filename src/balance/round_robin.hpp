#pragma once
// round_robin: equal turns over the candidates, whatever their weights (weight 0 still means
// no new traffic). O(1) per pick at any group size.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

std::unique_ptr<PickerFactory> make_round_robin_factory(std::shared_ptr<const TargetSet> set,
                                                        const Options& options);

}  // namespace fulcrum::balance
