// ns per pick for every balancing algorithm at 3, 100 and 10,000 targets, and bytes allocated
// per pick (must be 0); round_robin and weighted_round_robin also with two threads picking from
// one factory, as two workers do. Counters hold static, varied values (active connections, EWMAs, fresh
// load reports) so that scoring algorithms do real comparisons; ip_hash cycles through random
// keys so that table lookups are not all cache hits.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "allocation_counter.hpp"
#include "balance/picker.hpp"

namespace {

using fulcrum::balance::Algorithm;
using fulcrum::bench::thread_allocated_bytes;

constexpr int64_t kNowMs = 1'000'000;

struct Fixture {
  explicit Fixture(uint32_t count) : counters(count) {
    std::mt19937_64 random(count);
    auto set = std::make_shared<fulcrum::balance::TargetSet>();
    for (uint32_t i = 0; i < count; ++i) {
      fulcrum::balance::Target target;
      target.key = random();
      target.weight = 1 + i % 4;
      target.healthy_since_ms = 1;  // long healthy: no slow start in progress
      target.counters = &counters[i];
      counters[i].active = static_cast<uint32_t>(random() % 50);
      counters[i].response_ewma_us = static_cast<uint32_t>(1000 + random() % 9000);
      counters[i].reported_load_permille = static_cast<uint32_t>(random() % 1000);
      counters[i].load_reported_at_ms = kNowMs - 1000;
      set->targets.push_back(target);
      set->eligible.push_back(i);
    }
    targets = std::move(set);
    for (auto& key : keys) key = random();
  }

  std::vector<fulcrum::balance::TargetCounters> counters;
  std::shared_ptr<const fulcrum::balance::TargetSet> targets;
  uint64_t keys[4096];
};

std::unique_ptr<fulcrum::balance::PickerFactory> make_factory(const Fixture& fixture, Algorithm algorithm) {
  fulcrum::balance::Options options;
  options.algorithm = algorithm;
  options.slow_start_ms = 30'000;
  return fulcrum::balance::make_picker_factory(fixture.targets, options);
}

// The timed loop; every thread of a multi-threaded run goes through it with its own picker.
void run_picks(benchmark::State& state, Algorithm algorithm, const Fixture& fixture,
               fulcrum::balance::Picker& picker) {
  fulcrum::balance::PickRequest request;
  request.now_ms = kNowMs;
  uint32_t next_key = 0;
  uint64_t checksum = 0;

  const uint64_t bytes_before = thread_allocated_bytes;
  for (auto _ : state) {
    if (algorithm == Algorithm::ip_hash) request.hash = fixture.keys[next_key++ & 4095];
    checksum += *picker.pick(request);
  }
  const uint64_t bytes = thread_allocated_bytes - bytes_before;
  benchmark::DoNotOptimize(checksum);
  state.counters["bytes_per_pick"] = benchmark::Counter(
      static_cast<double>(bytes) / static_cast<double>(state.iterations()), benchmark::Counter::kAvgThreads);
}

void bench_pick(benchmark::State& state, Algorithm algorithm) {
  const Fixture fixture(static_cast<uint32_t>(state.range(0)));
  const auto factory = make_factory(fixture, algorithm);
  run_picks(state, algorithm, fixture, *factory->for_worker(0));
}

// One factory per (algorithm, size) shared by the threads of a run, as one snapshot's factory is
// shared by the workers: each thread picks with its own picker, so pickers that share state
// across workers contend on it here. Built on first use, kept for the program's lifetime.
struct SharedGroup {
  SharedGroup(uint32_t count, Algorithm algorithm)
      : fixture(count), factory(make_factory(fixture, algorithm)) {}
  Fixture fixture;
  std::unique_ptr<fulcrum::balance::PickerFactory> factory;
};

const SharedGroup& shared_group(Algorithm algorithm, uint32_t count) {
  static std::mutex mutex;
  static std::map<std::pair<Algorithm, uint32_t>, std::unique_ptr<SharedGroup>> groups;
  const std::lock_guard lock(mutex);
  auto& group = groups[{algorithm, count}];
  if (group == nullptr) group = std::make_unique<SharedGroup>(count, algorithm);
  return *group;
}

// With ->Threads(n) the CPU column is one thread's CPU time per pick (what a worker pays) and the
// Time column the wall time per pick of all threads together (the inverse of their throughput).
void bench_pick_shared(benchmark::State& state, Algorithm algorithm) {
  const SharedGroup& group = shared_group(algorithm, static_cast<uint32_t>(state.range(0)));
  const auto picker = group.factory->for_worker(static_cast<uint32_t>(state.thread_index()));
  run_picks(state, algorithm, group.fixture, *picker);
}

// The machine is shared: with --benchmark_repetitions=N the "min" row is the least disturbed.
double fastest(const std::vector<double>& runs) { return *std::min_element(runs.begin(), runs.end()); }

#define FULCRUM_PICK_BENCH(name)                                                        \
  BENCHMARK_CAPTURE(bench_pick, name, Algorithm::name)->Arg(3)->Arg(100)->Arg(10000) \
      ->ComputeStatistics("min", fastest)

FULCRUM_PICK_BENCH(round_robin);
FULCRUM_PICK_BENCH(weighted_round_robin);
FULCRUM_PICK_BENCH(ip_hash);
FULCRUM_PICK_BENCH(least_connections);
FULCRUM_PICK_BENCH(weighted_least_connections);
FULCRUM_PICK_BENCH(least_response_time);
FULCRUM_PICK_BENCH(resource_based);
FULCRUM_PICK_BENCH(random_two_choices);

// Turn-taking shares one cursor per group across workers: two threads contend on it.
BENCHMARK_CAPTURE(bench_pick_shared, round_robin, Algorithm::round_robin)
    ->Arg(3)->Arg(100)->Arg(10000)->Threads(2)->ComputeStatistics("min", fastest);
BENCHMARK_CAPTURE(bench_pick_shared, weighted_round_robin, Algorithm::weighted_round_robin)
    ->Arg(3)->Arg(100)->Arg(10000)->Threads(2)->ComputeStatistics("min", fastest);

// Off the data path, but it bounds how quickly a snapshot can follow a health change: the
// control thread builds one factory per target group whenever targets or health change.
void bench_build_factory(benchmark::State& state, Algorithm algorithm) {
  const Fixture fixture(static_cast<uint32_t>(state.range(0)));
  fulcrum::balance::Options options;
  options.algorithm = algorithm;
  for (auto _ : state) {
    auto factory = fulcrum::balance::make_picker_factory(fixture.targets, options);
    benchmark::DoNotOptimize(factory);
  }
}
BENCHMARK_CAPTURE(bench_build_factory, weighted_round_robin, Algorithm::weighted_round_robin)
    ->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bench_build_factory, ip_hash, Algorithm::ip_hash)
    ->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);
// A health change in an ip_hash group: the previous factory's Maglev table is reused.
void bench_rebuild_ip_hash_after_health_change(benchmark::State& state) {
  const Fixture fixture(static_cast<uint32_t>(state.range(0)));
  fulcrum::balance::Options options;
  options.algorithm = Algorithm::ip_hash;
  const auto previous = fulcrum::balance::make_picker_factory(fixture.targets, options);
  auto changed = std::make_shared<fulcrum::balance::TargetSet>(*fixture.targets);
  changed->eligible.erase(changed->eligible.begin());  // one target went down
  for (auto _ : state) {
    auto factory = fulcrum::balance::make_picker_factory(changed, options, previous.get());
    benchmark::DoNotOptimize(factory);
  }
}
BENCHMARK(bench_rebuild_ip_hash_after_health_change)->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bench_build_factory, random_two_choices, Algorithm::random_two_choices)
    ->Arg(100)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
