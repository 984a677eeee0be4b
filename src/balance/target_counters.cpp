// TargetCounters::record_response_time: the EWMA every worker reads for least_response_time.
#include "balance/picker.hpp"

#include <algorithm>
#include <cmath>

namespace fulcrum::balance {
namespace {

// New sample weight 1/8: smooth enough that one slow response does not swing traffic, quick
// enough that a recovered target is trusted again after a couple of dozen samples.
constexpr uint64_t kEwmaShift = 3;

}  // namespace

void TargetCounters::record_response_time(uint32_t microseconds) {
  // 0 means "no sample yet", so a genuine sample is at least 1 us.
  const uint64_t sample = microseconds == 0 ? 1 : microseconds;
  uint32_t current = response_ewma_us.load(std::memory_order_relaxed);
  uint32_t next = 0;
  do {
    if (current == 0) {
      next = static_cast<uint32_t>(sample);  // the first sample is the best estimate there is
    } else {
      // An eighth of the way to the sample, but at least 1 us, so the average settles exactly on
      // a steady sample instead of stalling a few microseconds short of it.
      const int64_t gap = static_cast<int64_t>(sample) - static_cast<int64_t>(current);
      int64_t step = gap / (int64_t{1} << kEwmaShift);
      if (step == 0 && gap != 0) step = gap > 0 ? 1 : -1;
      next = static_cast<uint32_t>(static_cast<int64_t>(current) + step);
    }
    // Lock-free: a worker that loses the race folds its sample into the winner's value.
  } while (!response_ewma_us.compare_exchange_weak(current, next, std::memory_order_relaxed,
                                                   std::memory_order_relaxed));
}

void TargetCounters::record_response_time(uint32_t microseconds, int64_t now_us) {
  const int64_t previous_us = response_sampled_at_us.exchange(now_us, std::memory_order_relaxed);
  const double sample = microseconds == 0 ? 1.0 : static_cast<double>(microseconds);
  const double gap_us = previous_us == 0 ? 0.0 : static_cast<double>(std::max<int64_t>(now_us - previous_us, 0));
  // At least 1/256, so a target answering thousands of times per tau still moves.
  const double weight = std::max(1.0 - std::exp(-gap_us / static_cast<double>(kResponseTauUs)), 1.0 / 256);
  uint32_t current = response_ewma_us.load(std::memory_order_relaxed);
  uint32_t next = 0;
  do {
    if (current == 0 || previous_us == 0) {
      next = static_cast<uint32_t>(sample);
    } else {
      const double gap = sample - static_cast<double>(current);
      double step = gap * weight;
      if (step > -1.0 && step < 1.0 && gap != 0.0) step = gap > 0 ? 1.0 : -1.0;  // never stall short
      next = static_cast<uint32_t>(std::clamp(static_cast<double>(current) + step, 1.0, 4.0e9));
    }
  } while (!response_ewma_us.compare_exchange_weak(current, next, std::memory_order_relaxed,
                                                   std::memory_order_relaxed));
}

}  // namespace fulcrum::balance
