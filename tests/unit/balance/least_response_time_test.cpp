#include "balance/least_response_time.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace least_response_time_test {

using testing::Group;

// A closed-loop model of three backends, in ticks: `arrivals` requests per tick, each request
// to target t completes latency[t] ticks later; completion records the latency (1 tick = 1 ms)
// in the target's EWMA and ends the request (active - 1). Deterministic, no clock, no sleep.
class Backends {
 public:
  Backends(Group& group, Picker& picker, std::vector<uint32_t> latency_ticks)
      : group_(group), picker_(picker), latency_(std::move(latency_ticks)) {}

  void set_latency(size_t target, uint32_t ticks) { latency_[target] = ticks; }

  // Runs `ticks` ticks and returns each target's share of the picks made.
  std::vector<double> run(int ticks, int arrivals) {
    std::vector<double> counts(latency_.size(), 0.0);
    double total = 0;
    for (int tick = 0; tick < ticks; ++tick, ++now_) {
      complete_due();
      for (int a = 0; a < arrivals; ++a) {
        const uint32_t chosen = *picker_.pick({});
        counts[chosen] += 1;
        total += 1;
        group_.counters(chosen).active.fetch_add(1);
        in_flight_.push_back({now_ + latency_[chosen], chosen, latency_[chosen]});
      }
    }
    for (double& count : counts) count /= total;
    return counts;
  }

 private:
  struct Request {
    int64_t done_at;
    uint32_t target;
    uint32_t latency;
  };
  void complete_due() {
    std::vector<Request> still;
    for (const Request& request : in_flight_) {
      if (request.done_at <= now_) {
        group_.counters(request.target).record_response_time(request.latency * 1000);
        group_.counters(request.target).active.fetch_sub(1);
      } else {
        still.push_back(request);
      }
    }
    in_flight_.swap(still);
  }

  Group& group_;
  Picker& picker_;
  std::vector<uint32_t> latency_;
  std::vector<Request> in_flight_;
  int64_t now_ = 0;
};

TEST(LeastResponseTime, PrefersLowLatencyTimesConnections) {
  Group group = Group::equal(2);
  group.counters(0).response_ewma_us = 1000;
  group.counters(0).active = 3;  // 1000 * 4 = 4000
  group.counters(1).response_ewma_us = 3000;
  group.counters(1).active = 0;  // 3000 * 1 = 3000
  auto picker = group.picker(Algorithm::least_response_time);
  EXPECT_EQ(picker->pick({}), 1u);
  group.counters(1).active = 1;  // 6000
  EXPECT_EQ(picker->pick({}), 0u);
}

TEST(LeastResponseTime, StaticTenTimesSlowerTargetGetsUnderTwentyPercent) {
  Group group = Group::equal(3);
  group.counters(0).response_ewma_us = 1000;
  group.counters(1).response_ewma_us = 1000;
  group.counters(2).response_ewma_us = 10000;
  auto picker = group.picker(Algorithm::least_response_time);
  const auto share = testing::shares_with_churn(*picker, group, 100000, 30);
  EXPECT_LT(share[2], 0.20);
  EXPECT_GT(share[2], 0.0);  // the exploration trickle keeps its EWMA fresh
}

TEST(LeastResponseTime, SlowBackendLosesItsShareAndGetsItBackAfterRecovering) {
  Group group = Group::equal(3);
  auto picker = group.picker(Algorithm::least_response_time);
  Backends backends(group, *picker, {4, 4, 40});  // target 2 answers 10x slower
  backends.run(2000, 2);                           // warm-up: every EWMA gets samples
  const auto slow = backends.run(20000, 2);
  EXPECT_LT(slow[2], 0.20);

  backends.set_latency(2, 4);  // it recovers; only the trickle tells the balancer so
  backends.run(5000, 2);       // its EWMA decays as fast answers come in
  const auto recovered = backends.run(20000, 2);
  EXPECT_NEAR(recovered[2], 1.0 / 3, 0.05);
}

TEST(LeastResponseTime, NewTargetWithoutSamplesIsNeitherStarvedNorFlooded) {
  Group group = Group::equal(4);
  for (size_t i = 0; i < 3; ++i) group.counters(i).response_ewma_us = 4000;  // target 3 is new
  auto picker = group.picker(Algorithm::least_response_time);
  Backends backends(group, *picker, {4, 4, 4, 4});
  const auto first = backends.run(10, 2);  // the first 20 requests
  EXPECT_GT(first[3], 0.0);                 // not starved
  EXPECT_LE(first[3], 0.40);                // not flooded
  const auto later = backends.run(20000, 2);
  EXPECT_NEAR(later[3], 0.25, 0.03);  // fair
}

TEST(LeastResponseTime, NoSamplesAnywhereBehavesLikeWeightedLeastConnections) {
  Group group(std::vector<uint32_t>{3, 1});
  auto lrt = group.picker(Algorithm::least_response_time);
  const auto share = testing::shares_with_churn(*lrt, group, 100000, 400);
  EXPECT_NEAR(share[0], 0.75, 0.01);
}

TEST(TargetCounters, FirstSampleIsTakenAsIsThenAveraged) {
  TargetCounters counters;
  EXPECT_EQ(counters.response_ewma_us.load(), 0u);
  counters.record_response_time(8000);
  EXPECT_EQ(counters.response_ewma_us.load(), 8000u);
  counters.record_response_time(16000);
  EXPECT_EQ(counters.response_ewma_us.load(), 9000u);  // 1/8 of the way
}

TEST(TargetCounters, EwmaConvergesToTheSampleBothWays) {
  TargetCounters counters;
  counters.record_response_time(100000);
  for (int i = 0; i < 200; ++i) counters.record_response_time(1000);
  EXPECT_EQ(counters.response_ewma_us.load(), 1000u);
  for (int i = 0; i < 200; ++i) counters.record_response_time(50000);
  EXPECT_EQ(counters.response_ewma_us.load(), 50000u);
}

TEST(TargetCounters, ZeroSampleStillCountsAsASample) {
  TargetCounters counters;
  counters.record_response_time(0);
  EXPECT_NE(counters.response_ewma_us.load(), 0u);
}

TEST(TargetCounters, AreLockFreeAndOneCacheLineEach) {
  EXPECT_TRUE(std::atomic<uint32_t>::is_always_lock_free);
  EXPECT_TRUE(std::atomic<int64_t>::is_always_lock_free);
  EXPECT_EQ(alignof(TargetCounters), 64u);
  EXPECT_EQ(sizeof(TargetCounters), 64u);
}

}  // namespace least_response_time_test
}  // namespace fulcrum::balance


namespace fulcrum::balance {
namespace least_response_time_test {

TEST(TargetCounters, ConcurrentSamplesAreAllFoldedInWithoutLocks) {
  TargetCounters counters;
  counters.record_response_time(1000);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&counters] {
      for (int i = 0; i < 20000; ++i) counters.record_response_time(5000);
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(counters.response_ewma_us.load(), 5000u);
}

}  // namespace least_response_time_test
}  // namespace fulcrum::balance

namespace fulcrum::balance {
namespace least_response_time_test {

// The continuous-time overload (added with the LRT integration work): a sample weighs
// 1 - e^(-gap/tau), so a rarely sampled target is re-judged on its recent answers.
TEST(TargetCounters, ContinuousTimeSampleWeighsByTheGapSinceThePreviousOne) {
  constexpr int64_t kTau = TargetCounters::kResponseTauUs;
  TargetCounters counters;
  counters.record_response_time(100000, 1'000'000);
  EXPECT_EQ(counters.response_ewma_us.load(), 100000u);  // first sample taken as is
  counters.record_response_time(1000, 1'000'000 + 10 * kTau);  // long gap: almost all the way
  EXPECT_LT(counters.response_ewma_us.load(), 1100u);
  const uint32_t before = counters.response_ewma_us.load();
  counters.record_response_time(101000, 1'000'000 + 10 * kTau + 1);  // 1 us later: the floor weight
  const uint32_t after = counters.response_ewma_us.load();
  EXPECT_GT(after, before);
  EXPECT_LE(after - before, 100000u / 256 + 2);
}

}  // namespace least_response_time_test
}  // namespace fulcrum::balance
