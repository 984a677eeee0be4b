#pragma once
// random_two_choices: power of two random choices on active connections (Envoy's default
// least-request). Two candidates are drawn at random, in proportion to weight, from a
// per-worker generator (no shared state); the one with fewer active connections per unit of
// weight wins, a tie goes to the first draw (so idle groups are split by weight). O(1) at any
// group size. Slow start thins the draws of a ramping target (ramp_admission.hpp) and divides
// its weight in the comparison.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

std::unique_ptr<PickerFactory> make_random_two_choices_factory(std::shared_ptr<const TargetSet> set,
                                                               const Options& options);

}  // namespace fulcrum::balance
