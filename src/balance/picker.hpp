#pragma once
// The balancing interface (DESIGN.md § The algorithm interface). Pure code: no sockets, no
// YAML, no locks. The control thread builds a TargetSet and a PickerFactory whenever targets or
// health change; each worker asks the factory for its own Picker and keeps it until the next
// snapshot. Counters that must be global across workers live in TargetCounters (relaxed atomics),
// and round_robin's and weighted_round_robin's turn counter in the factory's state (one relaxed
// atomic per group, shared_turns.hpp), so their turns are the group's, not each worker's.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "balance/algorithm.hpp"

namespace fulcrum::balance {

// Per-target figures shared by every worker. One cache line each so that workers updating
// different targets do not contend. Owned by the upstream room; outlives every TargetSet.
struct alignas(64) TargetCounters {
  std::atomic<uint32_t> active{0};            // open connections / in-flight requests
  std::atomic<uint32_t> response_ewma_us{0};  // 0: no sample yet
  std::atomic<uint32_t> reported_load_permille{0};   // agent report: 0..1000
  std::atomic<int64_t> load_reported_at_ms{-1};      // -1: never reported
  std::atomic<int64_t> response_sampled_at_us{0};    // when the last timed sample came

  // Folds one response time (time to first byte, or connect time for TCP) into the EWMA, each
  // sample weighing 1/8.
  void record_response_time(uint32_t microseconds);
  // The same in continuous time, as the data path records it: a sample weighs more the longer
  // it has been since this target's previous one (1 - e^(-gap/kResponseTau)). A busy target's
  // average stays smooth, while a target that only exploration picks now and then (it was slow)
  // is re-judged on its few recent answers, so it wins its share back soon after it recovers.
  void record_response_time(uint32_t microseconds, int64_t now_us);
  static constexpr int64_t kResponseTauUs = 100'000;
};

struct Target {
  uint64_t key = 0;              // stable identity (hash of the address text): order-independent
  uint32_t weight = 1;           // configured weight 0..1000; 0 takes no new traffic
  int64_t healthy_since_ms = 0;  // when it last became eligible; drives slow start (<= 0: no ramp)
  TargetCounters* counters = nullptr;
};

struct TargetSet {
  uint64_t version = 0;
  std::vector<Target> targets;
  std::vector<uint32_t> eligible;  // indexes into targets that may take new traffic
  // Eligible targets of higher priority tiers (SRV priorities), one list per tier, lowest tier
  // first: picked only by a request that has avoided every target of `eligible`, or for its last
  // attempt (standby_tiers.hpp).
  std::vector<std::vector<uint32_t>> standby;
};

struct Options {
  Algorithm algorithm = Algorithm::weighted_round_robin;
  int64_t slow_start_ms = 0;              // 0: off
  int64_t load_report_max_age_ms = 15000;  // resource_based: older reports are not fresh
  uint32_t max_attempts = 0;  // attempts a request may make (0: unknown); its last one may go to standby
};

struct PickRequest {
  std::optional<uint64_t> hash;      // ip_hash key, already hashed (hash_key_bytes below)
  int64_t now_ms = 0;                // the caller's clock; pickers never read a clock
  std::span<const uint32_t> avoid;   // targets that already failed this request
};

class Picker {  // one per target group per worker; never shared between threads
 public:
  virtual ~Picker() = default;
  // An index into TargetSet::targets, or nullopt when no eligible target is left.
  virtual std::optional<uint32_t> pick(const PickRequest& request) = 0;
};

// Holds the immutable tables (Maglev, weights), which the workers' pickers share read-only, and
// for the round robins the one turn counter they all take turns from.
class PickerFactory {
 public:
  virtual ~PickerFactory() = default;
  virtual std::unique_ptr<Picker> for_worker(uint32_t worker_index) const = 0;
  virtual const TargetSet& targets() const = 0;
};

// `previous`, when given, is the factory this one replaces: what it computed is reused when it
// still applies (ip_hash's Maglev table depends only on the targets' keys and weights, so a
// health change keeps it; rebuilding it costs ~0.2 s at 10,000 targets), and the round robins
// carry on from the turn it had reached instead of starting over. May be null.
std::unique_ptr<PickerFactory> make_picker_factory(std::shared_ptr<const TargetSet> set,
                                                   const Options& options,
                                                   const PickerFactory* previous = nullptr);

// The stable 64-bit hash used for ip_hash keys and target identities: the same bytes give the
// same value on every machine and every Fulcrum instance.
uint64_t hash_key_bytes(std::string_view bytes);

}  // namespace fulcrum::balance
