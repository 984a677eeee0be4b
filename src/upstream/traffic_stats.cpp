#include "upstream/traffic_stats.hpp"

#include <algorithm>

#include "core/worker.hpp"

namespace fulcrum::upstream {

double LatencyTotals::quantile_us(double q) const {
  if (count == 0) return -1;
  const double rank = q * static_cast<double>(count);
  uint64_t seen = 0;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    if (buckets[i] == 0) continue;
    if (static_cast<double>(seen + buckets[i]) >= rank) {
      const double low = i == 0 ? 0.0 : static_cast<double>(kLatencyBoundsUs[i - 1]);
      // The +Inf bucket has no upper bound: say its lower one (a floor, never an invention).
      if (i == kLatencyBoundsUs.size()) return low;
      const double high = static_cast<double>(kLatencyBoundsUs[i]);
      const double within = (rank - static_cast<double>(seen)) / static_cast<double>(buckets[i]);
      return low + (high - low) * std::clamp(within, 0.0, 1.0);
    }
    seen += buckets[i];
  }
  return static_cast<double>(kLatencyBoundsUs.back());
}

LatencyTotals LatencyTotals::minus(const LatencyTotals& earlier) const {
  LatencyTotals out;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    out.buckets[i] = buckets[i] >= earlier.buckets[i] ? buckets[i] - earlier.buckets[i] : 0;
    out.count += out.buckets[i];
  }
  out.sum_us = sum_us >= earlier.sum_us ? sum_us - earlier.sum_us : 0;
  return out;
}

void LatencyHistogram::add_to(LatencyTotals& totals) const {
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    const uint64_t n = buckets_[i].get();
    totals.buckets[i] += n;
    totals.count += n;
  }
  totals.sum_us += sum_us_.get();
}

uint64_t StatsTotals::requests() const {
  uint64_t total = 0;
  for (uint64_t n : responses) total += n;
  return total;
}

void StatsTotals::add(const StatsTotals& other) {
  for (size_t i = 0; i < kStatusClasses; ++i) responses[i] += other.responses[i];
  bytes_in += other.bytes_in;
  bytes_out += other.bytes_out;
  connections_opened += other.connections_opened;
  connections_closed += other.connections_closed;
  connect_errors += other.connect_errors;
  retries += other.retries;
  for (auto [mine, theirs] : {std::pair{&request, &other.request}, std::pair{&connect, &other.connect},
                              std::pair{&first_byte, &other.first_byte}}) {
    for (size_t i = 0; i < kLatencyBuckets; ++i) mine->buckets[i] += theirs->buckets[i];
    mine->count += theirs->count;
    mine->sum_us += theirs->sum_us;
  }
}

TrafficStats::TrafficStats(uint32_t workers) : slots_(workers + 1), slot_(std::make_unique<StatsSlot[]>(workers + 1)) {}

StatsSlot& TrafficStats::local() {
  const uint32_t index = core::this_worker_index();
  return slot_[index < slots_ - 1 ? index : slots_ - 1];
}

StatsTotals TrafficStats::sum() const {
  StatsTotals totals;
  for (uint32_t s = 0; s < slots_; ++s) {
    const StatsSlot& slot = slot_[s];
    for (size_t i = 0; i < kStatusClasses; ++i) totals.responses[i] += slot.responses[i].get();
    totals.bytes_in += slot.bytes_in.get();
    totals.bytes_out += slot.bytes_out.get();
    totals.connections_opened += slot.connections_opened.get();
    totals.connections_closed += slot.connections_closed.get();
    totals.connect_errors += slot.connect_errors.get();
    totals.retries += slot.retries.get();
    slot.request.add_to(totals.request);
    slot.connect.add_to(totals.connect);
    slot.first_byte.add_to(totals.first_byte);
  }
  return totals;
}

}  // namespace fulcrum::upstream
