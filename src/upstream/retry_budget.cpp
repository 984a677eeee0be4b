#include "upstream/retry_budget.hpp"

namespace fulcrum::upstream {

void RetryBudget::deposit(uint32_t percent) {
  constexpr int64_t kFull = kBurstRetries * kUnit;
  // A full bucket stays full: one load, no write, on the path every request takes.
  if (percent == 0 || balance.load(std::memory_order_relaxed) >= kFull) return;
  if (balance.fetch_add(percent, std::memory_order_relaxed) + percent > kFull) {
    balance.store(kFull, std::memory_order_relaxed);  // a race may lose a deposit: harmless
  }
}

bool RetryBudget::try_begin_retry() {
  // The few retries always allowed (a quiet group, or a burst before the bucket fills).
  uint32_t current = retries.load(std::memory_order_relaxed);
  while (current < kMinConcurrentRetries) {
    if (retries.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) return true;
  }
  if (balance.fetch_sub(kUnit, std::memory_order_relaxed) >= kUnit) {
    retries.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  balance.fetch_add(kUnit, std::memory_order_relaxed);  // it was not there to take
  refused.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace fulcrum::upstream
