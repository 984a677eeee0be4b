#pragma once
// round_robin: equal turns over the candidates, whatever their weights (weight 0 still means
// no new traffic). O(1) per pick at any group size.
//
// The turns are the group's, not a worker's: every worker's picker of a snapshot takes the next
// turn from one shared counter (shared_turns.hpp), so the workers' picks together go 0, 1, 2, ...
// around the candidates, and over any `size` consecutive turns each candidate gets exactly one.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

// With `previous` a round_robin factory, the new group carries on from the turn it had reached
// instead of starting again at the first candidate (an unchanged group continues exactly).
std::unique_ptr<PickerFactory> make_round_robin_factory(std::shared_ptr<const TargetSet> set,
                                                        const Options& options,
                                                        const PickerFactory* previous = nullptr);

}  // namespace fulcrum::balance
