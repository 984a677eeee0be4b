#include "security/listener_counters.hpp"

#include "core/worker.hpp"

namespace fulcrum::security {

ListenerCounters::ListenerCounters(uint32_t workers)
    : workers_(workers), slots_(std::make_unique<Slot[]>(size_t{workers} + 1)) {}

void ListenerCounters::add(Event event) {
  const uint32_t worker = core::this_worker_index();
  const size_t e = static_cast<size_t>(event);
  if (worker < workers_) {
    // This worker's slot: nobody else writes it.
    std::atomic<uint64_t>& count = slots_[worker].counts[e];
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return;
  }
  slots_[workers_].counts[e].fetch_add(1, std::memory_order_relaxed);  // shared by the other threads
}

uint64_t ListenerCounters::total(Event event) const {
  uint64_t sum = 0;
  for (uint32_t s = 0; s <= workers_; ++s) sum += slots_[s].counts[static_cast<size_t>(event)].load(std::memory_order_relaxed);
  return sum;
}

}  // namespace fulcrum::security
