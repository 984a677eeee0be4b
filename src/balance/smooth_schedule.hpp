#pragma once
// build_smooth_schedule: one period of a smooth weighted sequence, computed off the data path so
// that weighted_round_robin costs O(1) per pick at any group size.
//
// The order is that of worst-case-fair weighted fair queueing (WF2Q): entry i may be chosen at
// step t only once its share is due (picks_i / w_i <= (t + 1) / W), and among those the one whose
// next turn is due first ((picks_i + 1) / w_i) wins, ties to the earlier start. Every entry's
// count after t steps stays within one of t * w_i / W, so in any window of k steps an entry
// appears at most ceil(k * w_i / W) + 1 times. Weights 5 and 2 give A A B A A B A.
#include <cstdint>
#include <span>
#include <vector>

namespace fulcrum::balance {

// Entries are indexes into `weights` (all > 0). The period is sum(weights) / gcd(weights); when
// that exceeds max_length the weights are scaled down to fit (largest-remainder rounding, each at
// least 1), which moves any entry's share by at most 1 / max_length.
std::vector<uint32_t> build_smooth_schedule(std::span<const uint64_t> weights, uint32_t max_length);

}  // namespace fulcrum::balance
