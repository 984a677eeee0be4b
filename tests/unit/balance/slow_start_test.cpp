// slow_start: a target that became healthy at healthy_since_ms takes a share that ramps
// linearly from kSlowStartFloor of its normal share to all of it over slow_start_ms, computed
// from PickRequest::now_ms only.
#include "balance/slow_start.hpp"

#include <gtest/gtest.h>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace slow_start_test {

using testing::Group;

constexpr int64_t kRampMs = 30'000;
constexpr int64_t kBecameHealthy = 1'000'000;

TEST(SlowStart, FactorRampsLinearlyFromTheFloorToFull) {
  EXPECT_DOUBLE_EQ(slow_start_factor(kBecameHealthy, kBecameHealthy, kRampMs), kSlowStartFloor);
  EXPECT_DOUBLE_EQ(slow_start_factor(kBecameHealthy, kBecameHealthy + kRampMs / 2, kRampMs),
                   kSlowStartFloor + (1 - kSlowStartFloor) / 2);
  EXPECT_DOUBLE_EQ(slow_start_factor(kBecameHealthy, kBecameHealthy + kRampMs, kRampMs), 1.0);
  EXPECT_DOUBLE_EQ(slow_start_factor(kBecameHealthy, kBecameHealthy + 10 * kRampMs, kRampMs), 1.0);
  EXPECT_DOUBLE_EQ(slow_start_factor(kBecameHealthy, kBecameHealthy - 5, kRampMs), kSlowStartFloor);
  EXPECT_DOUBLE_EQ(slow_start_factor(kBecameHealthy, kBecameHealthy, 0), 1.0);  // off
  EXPECT_DOUBLE_EQ(slow_start_factor(0, 12345, kRampMs), 1.0);                  // healthy from the start
}

// Group of four equal targets, target 3 became healthy at kBecameHealthy. Expected share of
// target 3 with factor f: f / (3 + f) (its weight counts f times).
double expected_share(double factor) { return factor / (3 + factor); }

class SlowStart : public ::testing::TestWithParam<Algorithm> {};

TEST_P(SlowStart, RampingTargetsShareFollowsTheRamp) {
  const Algorithm algorithm = GetParam();
  for (const double fraction : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    Group group = Group::equal(4);
    group.target(3).healthy_since_ms = kBecameHealthy;
    for (size_t i = 0; i < 4; ++i) {
      group.counters(i).response_ewma_us = 1000;
      group.counters(i).reported_load_permille = 500;
      group.counters(i).load_reported_at_ms = kBecameHealthy;
    }
    Options options;
    options.slow_start_ms = kRampMs;
    auto picker = group.picker(algorithm, options);
    PickRequest request;
    request.now_ms = kBecameHealthy + static_cast<int64_t>(fraction * kRampMs);
    const auto share = testing::counts_connections(algorithm)
                           ? testing::shares_with_churn(*picker, group, 60000, 400, request)
                           : testing::shares(*picker, 4, 60000, request, algorithm == Algorithm::ip_hash);
    const double factor = slow_start_factor(kBecameHealthy, request.now_ms, kRampMs);
    // Connection counting reaches the ratio of connections held (lifetime 400), a little
    // looser than turn-taking; least_response_time also sends its exploration trickle in turn.
    const double tolerance = testing::counts_connections(algorithm) ? 0.03 : 0.015;
    EXPECT_NEAR(share[3], expected_share(factor), tolerance)
        << testing::name_of(algorithm) << " at " << fraction << " of the ramp";
  }
}

TEST_P(SlowStart, OffWhenNoTargetRamps) {
  Group group = Group::equal(2);
  group.target(1).healthy_since_ms = kBecameHealthy;
  Options options;
  options.slow_start_ms = kRampMs;
  auto picker = group.picker(GetParam(), options);
  PickRequest request;
  request.now_ms = kBecameHealthy + kRampMs;  // ramp over
  const auto share = testing::counts_connections(GetParam())
                         ? testing::shares_with_churn(*picker, group, 20000, 100, request)
                         : testing::shares(*picker, 2, 20000, request, GetParam() == Algorithm::ip_hash);
  EXPECT_NEAR(share[1], 0.5, 0.015);
}

INSTANTIATE_TEST_SUITE_P(Balance, SlowStart, ::testing::ValuesIn(testing::all_algorithms()),
                         [](const auto& info) { return testing::name_of(info.param); });

// ip_hash admits a growing, stable set of a ramping target's keys: a key admitted early stays.
TEST(SlowStartIpHash, AdmittedKeysStayAsTheRampGrows) {
  Group group = Group::equal(3);
  group.target(2).healthy_since_ms = kBecameHealthy;
  Options options;
  options.slow_start_ms = kRampMs;
  auto picker = group.picker(Algorithm::ip_hash, options);
  std::vector<bool> admitted(20000, false);
  for (const double fraction : {0.1, 0.4, 0.7, 1.0}) {
    PickRequest request;
    request.now_ms = kBecameHealthy + static_cast<int64_t>(fraction * kRampMs);
    for (uint32_t i = 0; i < admitted.size(); ++i) {
      request.hash = testing::client_key(i);
      const bool now_admitted = *picker->pick(request) == 2;
      EXPECT_FALSE(admitted[i] && !now_admitted) << "key " << i << " left the ramping target";
      admitted[i] = now_admitted;
    }
  }
}

}  // namespace slow_start_test
}  // namespace fulcrum::balance
