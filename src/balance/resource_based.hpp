#pragma once
// resource_based: prefers targets whose agent reports low load (CPU, memory; the health room
// stores the report in TargetCounters::reported_load_permille and load_reported_at_ms).
//
// Score: weighted_least_connections' (active + 1) / weight, divided by the target's headroom,
// 1 - load (at least kMinHeadroom). A target at 90 % load so holds about a ninth of the
// connections of one at 10 %. A report is fresh when it is at most
// Options::load_report_max_age_ms old at PickRequest::now_ms; a target without a fresh report
// counts as half loaded (kStaleHeadroom). When no report is fresh, every score is the weighted
// least connections score times the same constant (a power of two, so exactly), and the picks
// are exactly weighted_least_connections'. Scaling: least_score.hpp.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

inline constexpr double kMinHeadroom = 0.01;   // a fully loaded target is last, not excluded
inline constexpr double kStaleHeadroom = 0.5;  // unknown load: assume the middle

std::unique_ptr<PickerFactory> make_resource_based_factory(std::shared_ptr<const TargetSet> set,
                                                           const Options& options);

}  // namespace fulcrum::balance
