#pragma once
// One listener's security events (Event: denied, rate_limited, waf_blocked, ...), counted on
// the data path without a lock or a locked instruction: one slot per worker (cache-line
// aligned, a single writer each: the worker adds with a relaxed load and store) plus one shared
// slot for any other thread (added to atomically). /metrics sums the slots when asked.
#include <atomic>
#include <cstdint>
#include <memory>

#include "security/event_log.hpp"

namespace fulcrum::security {

class ListenerCounters {
 public:
  explicit ListenerCounters(uint32_t workers);

  // One more `event`, in the calling thread's slot.
  void add(Event event);
  uint64_t total(Event event) const;

 private:
  static constexpr size_t kEvents = static_cast<size_t>(Event::count_);
  struct alignas(64) Slot {
    std::atomic<uint64_t> counts[kEvents]{};
  };
  uint32_t workers_;
  std::unique_ptr<Slot[]> slots_;  // workers_ + 1: the last one for threads that are no worker
};

}  // namespace fulcrum::security
