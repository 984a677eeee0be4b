// The first "must show": over 100,000 picks with static inputs every algorithm's share
// per target is within 1 percentage point of what it promises. Algorithms that count
// connections see traffic only through their counters, so for them each pick opens a
// connection that closes 1,000 picks later (weights, EWMAs and load reports stay static).
#include <gtest/gtest.h>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace share_test {

using testing::Group;

struct ShareCase {
  Algorithm algorithm;
  std::vector<uint32_t> weights;
  std::vector<double> expected;
};

class Share : public ::testing::TestWithParam<ShareCase> {};

TEST_P(Share, WithinOnePointOfExpected) {
  const ShareCase& share_case = GetParam();
  Group group(share_case.weights);
  for (size_t i = 0; i < group.size(); ++i) {
    group.counters(i).response_ewma_us = 2000;           // equal latency
    group.counters(i).reported_load_permille = 300;      // equal, fresh load
    group.counters(i).load_reported_at_ms = 1'000'000;
  }
  auto picker = group.picker(share_case.algorithm);
  PickRequest request;
  request.now_ms = 1'000'500;
  const bool hashed = share_case.algorithm == Algorithm::ip_hash;
  const auto share = testing::counts_connections(share_case.algorithm)
                         ? testing::shares_with_churn(*picker, group, 100000, 1000, request)
                         : testing::shares(*picker, group.size(), 100000, request, hashed);
  for (size_t i = 0; i < group.size(); ++i) {
    EXPECT_NEAR(share[i], share_case.expected[i], 0.01) << "target " << i;
  }
}

const std::vector<double> kFiveToTwo{5.0 / 7, 2.0 / 7};
const std::vector<double> kHalves{0.5, 0.5};
const std::vector<double> kMixed = testing::expected_by_weight({1, 2, 3, 4, 10});

INSTANTIATE_TEST_SUITE_P(
    Balance, Share,
    ::testing::Values(
        ShareCase{Algorithm::round_robin, {5, 2}, kHalves},  // equal turns by definition
        ShareCase{Algorithm::weighted_round_robin, {5, 2}, kFiveToTwo},
        ShareCase{Algorithm::weighted_round_robin, {1, 2, 3, 4, 10}, kMixed},
        ShareCase{Algorithm::ip_hash, {5, 2}, kFiveToTwo},
        ShareCase{Algorithm::ip_hash, {1, 2, 3, 4, 10}, kMixed},
        ShareCase{Algorithm::least_connections, {5, 2}, kHalves},  // unweighted by definition
        ShareCase{Algorithm::least_connections, {1, 1, 1, 1}, {0.25, 0.25, 0.25, 0.25}},
        ShareCase{Algorithm::weighted_least_connections, {5, 2}, kFiveToTwo},
        ShareCase{Algorithm::weighted_least_connections, {1, 2, 3, 4, 10}, kMixed},
        ShareCase{Algorithm::least_response_time, {5, 2}, kFiveToTwo},
        ShareCase{Algorithm::least_response_time, {1, 1, 1}, {1.0 / 3, 1.0 / 3, 1.0 / 3}},
        ShareCase{Algorithm::resource_based, {5, 2}, kFiveToTwo},
        ShareCase{Algorithm::resource_based, {1, 2, 3, 4, 10}, kMixed},
        ShareCase{Algorithm::random_two_choices, {5, 2}, kFiveToTwo},
        ShareCase{Algorithm::random_two_choices, {1, 1, 1}, {1.0 / 3, 1.0 / 3, 1.0 / 3}}),
    [](const auto& info) {
      return testing::name_of(info.param.algorithm) + "_" + std::to_string(info.index);
    });

// Weight 0 takes no new traffic, whatever the algorithm.
TEST(Share, WeightZeroTakesNothing) {
  for (const Algorithm algorithm : testing::all_algorithms()) {
    Group group(std::vector<uint32_t>{3, 0, 1});
    auto picker = group.picker(algorithm);
    const auto share = testing::counts_connections(algorithm)
                           ? testing::shares_with_churn(*picker, group, 5000, 50)
                           : testing::shares(*picker, group.size(), 5000, {}, algorithm == Algorithm::ip_hash);
    EXPECT_EQ(share[1], 0.0) << testing::name_of(algorithm);
    EXPECT_GT(share[0], 0.0) << testing::name_of(algorithm);
  }
}

TEST(Share, OnlyWeightZeroMeansNothingToPick) {
  for (const Algorithm algorithm : testing::all_algorithms()) {
    Group group(std::vector<uint32_t>{0, 0});
    PickRequest request;
    request.hash = 7;
    EXPECT_FALSE(group.picker(algorithm)->pick(request)) << testing::name_of(algorithm);
  }
}

}  // namespace share_test
}  // namespace fulcrum::balance
