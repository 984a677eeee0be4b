#pragma once
// What traffic did, counted on the data path for /metrics and the admin API: per listener and
// per target, one slot per worker (cache-line aligned). Each slot has a single writer, the
// worker it belongs to, which adds with a relaxed load and store (a plain add, no locked
// instruction, no contention); the control thread sums the slots when asked. Workers find
// their slot through a thread-local index (core::this_worker_index), so nothing is passed
// around and a session needs no more than the pointer its snapshot already holds.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

namespace fulcrum::upstream {

// A single-writer counter: read from any thread, written by one.
class StatCounter {
 public:
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }
  StatCounter& operator++() {
    add();
    return *this;
  }
  StatCounter& operator+=(uint64_t n) {
    add(n);
    return *this;
  }

 private:
  std::atomic<uint64_t> value_{0};
};

// Latency buckets (upper bounds), Prometheus-style; the last bucket is +Inf.
inline constexpr std::array<int64_t, 14> kLatencyBoundsUs{500,    1000,    2500,    5000,    10000,
                                                          25000,  50000,   100000,  250000,  500000,
                                                          1000000, 2500000, 5000000, 10000000};
inline constexpr size_t kLatencyBuckets = kLatencyBoundsUs.size() + 1;

struct LatencyTotals {
  std::array<uint64_t, kLatencyBuckets> buckets{};  // per bucket, not cumulative
  uint64_t count = 0;
  uint64_t sum_us = 0;
  // The q-quantile (0..1) in microseconds, interpolated inside its bucket; -1 when empty.
  double quantile_us(double q) const;
  LatencyTotals minus(const LatencyTotals& earlier) const;
};

class LatencyHistogram {
 public:
  void record(int64_t us) {
    if (us < 0) us = 0;
    size_t i = 0;
    while (i < kLatencyBoundsUs.size() && us > kLatencyBoundsUs[i]) ++i;
    buckets_[i].add();
    sum_us_.add(static_cast<uint64_t>(us));
  }
  void add_to(LatencyTotals& totals) const;

 private:
  std::array<StatCounter, kLatencyBuckets> buckets_;
  StatCounter sum_us_;
};

// Response classes: [0] no response (connection or protocol error), [1..5] 1xx..5xx.
inline constexpr size_t kStatusClasses = 6;
inline size_t status_class(uint16_t status) { return status >= 100 && status < 600 ? status / 100 : 0; }

struct alignas(64) StatsSlot {
  std::array<StatCounter, kStatusClasses> responses;
  StatCounter bytes_in;   // from clients (toward targets)
  StatCounter bytes_out;  // to clients (from targets)
  StatCounter connections_opened;
  StatCounter connections_closed;
  StatCounter connect_errors;  // refused, unreachable or timed out connecting to a target
  StatCounter retries;         // attempts on another target after a failed one
  LatencyHistogram request;     // whole request (http) or connection (tcp)
  LatencyHistogram connect;     // connecting to the target (new connections only)
  LatencyHistogram first_byte;  // request sent -> first response byte
};

struct StatsTotals {
  std::array<uint64_t, kStatusClasses> responses{};
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t connections_opened = 0;
  uint64_t connections_closed = 0;
  uint64_t connect_errors = 0;
  uint64_t retries = 0;
  LatencyTotals request, connect, first_byte;

  uint64_t requests() const;  // every response class, "no response" included
  uint64_t active_connections() const {
    return connections_opened > connections_closed ? connections_opened - connections_closed : 0;
  }
  void add(const StatsTotals& other);
};

class TrafficStats {
 public:
  // One slot per worker plus one for every other thread (never written on the data path).
  explicit TrafficStats(uint32_t workers);

  // The calling worker's slot.
  StatsSlot& local();
  StatsTotals sum() const;

 private:
  uint32_t slots_;
  std::unique_ptr<StatsSlot[]> slot_;
};

}  // namespace fulcrum::upstream
