#pragma once
// A rate with a burst, in the form the generic cell rate algorithm (GCRA) wants: one request
// every `interval_ns`, and up to `tolerance_ns` (burst x interval) of credit. GCRA is a token
// bucket kept as one number (the theoretical arrival time), so a bucket is one atomic word
// that a compare-and-swap updates: no lock, and a bucket nobody used lately is simply full.
#include <algorithm>
#include <atomic>
#include <cstdint>

namespace fulcrum::security {

struct RateShape {
  int64_t interval_ns = 0;  // 0: no limit
  int64_t tolerance_ns = 0;

  static RateShape per_second(double rate, uint32_t burst) {
    RateShape shape;
    if (rate <= 0) return shape;
    shape.interval_ns = std::max<int64_t>(1, static_cast<int64_t>(1e9 / rate));
    shape.tolerance_ns = shape.interval_ns * static_cast<int64_t>(std::max<uint32_t>(1, burst));
    return shape;
  }
  bool on() const { return interval_ns > 0; }

  // Takes one token from the bucket `tat` at `now_ns`. When the bucket is empty returns false
  // and sets `wait_ns` to the time until a token is there again.
  bool take(std::atomic<int64_t>& tat, int64_t now_ns, int64_t& wait_ns) const {
    int64_t old = tat.load(std::memory_order_relaxed);
    for (;;) {
      const int64_t next = std::max(old, now_ns) + interval_ns;
      if (next - now_ns > tolerance_ns) {
        wait_ns = next - now_ns - tolerance_ns;
        return false;
      }
      if (tat.compare_exchange_weak(old, next, std::memory_order_relaxed)) return true;
    }
  }
};

}  // namespace fulcrum::security
