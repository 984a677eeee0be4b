// TargetCounters::record_response_time: the EWMA every worker reads for least_response_time.
#include "balance/picker.hpp"

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
      // Rounded to nearest so the average can settle on the sample instead of stalling below it.
      const uint64_t blended = ((uint64_t{current} << kEwmaShift) - current + sample +
                                (uint64_t{1} << (kEwmaShift - 1))) >> kEwmaShift;
      next = static_cast<uint32_t>(blended == 0 ? 1 : blended);
    }
    // Lock-free: a worker that loses the race folds its sample into the winner's value.
  } while (!response_ewma_us.compare_exchange_weak(current, next, std::memory_order_relaxed,
                                                   std::memory_order_relaxed));
}

}  // namespace fulcrum::balance
