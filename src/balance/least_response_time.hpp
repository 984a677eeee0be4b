#pragma once
// least_response_time: the least EWMA(response time) x (active + 1) / weight, ties in turn.
// The EWMA (TargetCounters::record_response_time) is time to first byte for HTTP and connect
// time for TCP, shared by all workers.
//
// Two cases need care, because a target's EWMA only changes when it serves traffic:
//  - A slow target would never be picked again, so its EWMA would never show that it
//    recovered. Every kExplorationPeriod-th pick of a worker therefore goes to the next target
//    in turn, whatever the scores: a small, bounded trickle that keeps every EWMA fresh, so a
//    recovered target's average decays back down and it regains its share.
//  - A new target has no sample (EWMA 0). Scoring it 0 would flood it; never picking it would
//    starve it. It is scored with the mean EWMA of the sampled targets this worker has recently
//    looked at, i.e. as an average target, until its own samples arrive.
// Scaling: least_score.hpp.
#include <cstdint>
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

inline constexpr uint32_t kExplorationPeriod = 32;

std::unique_ptr<PickerFactory> make_least_response_time_factory(std::shared_ptr<const TargetSet> set,
                                                                const Options& options);

}  // namespace fulcrum::balance
