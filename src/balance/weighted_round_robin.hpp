#pragma once
// weighted_round_robin (the default): smooth weighted turns, nginx-style. Weights 5 and 2 give
// A A B A A B A, never five A in a row.
//
// How it stays O(1) at 10,000 targets: candidates of equal weight form one group, and groups
// take turns by a smooth schedule (smooth_schedule.hpp) precomputed in the factory, with the
// group's weight being weight x members. Inside a group, members take plain turns. A target
// therefore gets exactly its weighted share, and because the group's turns are smooth and it
// shares them evenly, the target's own turns stay within ceil(k*w/W) + 1 in any k picks.
// Deployments have a handful of distinct weights, so the schedule is short (<= 65,536 entries).
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

std::unique_ptr<PickerFactory> make_weighted_round_robin_factory(
    std::shared_ptr<const TargetSet> set, const Options& options);

}  // namespace fulcrum::balance
