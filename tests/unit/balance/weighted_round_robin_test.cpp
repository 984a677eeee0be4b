#include "balance/weighted_round_robin.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "balance/smooth_schedule.hpp"
#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace weighted_round_robin_test {

using testing::Group;

std::string sequence(Picker& picker, int count) {
  std::string result;
  for (int i = 0; i < count; ++i) result += static_cast<char>('A' + *picker.pick({}));
  return result;
}

TEST(WeightedRoundRobin, FiveToTwoInterleavesSmoothly) {
  Group group(std::vector<uint32_t>{5, 2});
  auto picker = group.picker(Algorithm::weighted_round_robin);
  EXPECT_EQ(sequence(*picker, 14), "AABAABAAABAABA");
}

TEST(WeightedRoundRobin, IsTheDefaultAlgorithm) { EXPECT_EQ(Options{}.algorithm, Algorithm::weighted_round_robin); }

TEST(WeightedRoundRobin, SharesFollowWeights) {
  const std::vector<uint32_t> weights{5, 2};
  Group group(weights);
  auto picker = group.picker(Algorithm::weighted_round_robin);
  const auto share = testing::shares(*picker, 2, 100000);
  EXPECT_NEAR(share[0], 5.0 / 7, 0.01);
  EXPECT_NEAR(share[1], 2.0 / 7, 0.01);
}

TEST(WeightedRoundRobin, SharesFollowManyMixedWeights) {
  const std::vector<uint32_t> weights{1, 3, 3, 7, 1000, 0, 250, 1, 1, 42};
  Group group(weights);
  auto picker = group.picker(Algorithm::weighted_round_robin);
  const auto share = testing::shares(*picker, weights.size(), 100000);
  const auto expected = testing::expected_by_weight(weights);
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_NEAR(share[i], expected[i], 0.01) << i;
  EXPECT_EQ(share[5], 0.0);
}

// The property from the issue: in any window of k consecutive picks no target gets more than
// ceil(k * w / W) + 1, for random weight mixes (including equal weights sharing a class).
TEST(WeightedRoundRobin, AnyWindowIsSmooth) {
  std::mt19937 random(7);
  for (int round = 0; round < 60; ++round) {
    const std::vector<uint32_t> weights = testing::random_weights(random, round);
    Group group(weights);
    auto picker = group.picker(Algorithm::weighted_round_robin);
    std::vector<uint32_t> sequence;
    for (int i = 0; i < 3000; ++i) sequence.push_back(*picker->pick({}));
    ASSERT_EQ(testing::first_unsmooth_window(sequence, weights), "") << "round " << round;
  }
}

TEST(WeightedRoundRobin, NeverFourInARowForFiveToTwo) {
  // Three in a row happens where one period meets the next (…B A | A A B…), as with nginx.
  Group group(std::vector<uint32_t>{5, 2});
  auto picker = group.picker(Algorithm::weighted_round_robin);
  EXPECT_EQ(sequence(*picker, 700).find("AAAA"), std::string::npos);
}

TEST(WeightedRoundRobin, LargeGroupsStayExactPerTarget) {
  std::vector<uint32_t> weights;
  for (uint32_t i = 0; i < 1000; ++i) weights.push_back(1 + i % 4);  // 250 targets of each weight
  Group group(weights);
  auto picker = group.picker(Algorithm::weighted_round_robin);
  std::vector<int> counts(weights.size());
  for (int i = 0; i < 2500 * 4; ++i) ++counts[*picker->pick({})];  // four exact periods
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_EQ(counts[i], 4 * static_cast<int>(weights[i])) << i;
}

TEST(SmoothSchedule, PeriodHasExactCounts) {
  const std::vector<uint64_t> weights{6, 4, 2};  // gcd 2: period 6
  const auto schedule = build_smooth_schedule(weights, 1 << 16);
  ASSERT_EQ(schedule.size(), 6u);
  EXPECT_EQ(std::count(schedule.begin(), schedule.end(), 0), 3);
  EXPECT_EQ(std::count(schedule.begin(), schedule.end(), 1), 2);
  EXPECT_EQ(std::count(schedule.begin(), schedule.end(), 2), 1);
}

TEST(SmoothSchedule, HugePeriodsAreScaledWithinOneSlot) {
  std::vector<uint64_t> weights;
  for (uint64_t i = 0; i < 300; ++i) weights.push_back(1000003 + i * 7919);
  const auto schedule = build_smooth_schedule(weights, 1 << 12);
  EXPECT_LE(schedule.size(), (1u << 12) + weights.size());
  double total = 0;
  for (uint64_t w : weights) total += static_cast<double>(w);
  for (size_t i = 0; i < weights.size(); ++i) {
    const double share = static_cast<double>(std::count(schedule.begin(), schedule.end(), i)) / schedule.size();
    EXPECT_NEAR(share, weights[i] / total, 1.0 / 4096);
  }
}

}  // namespace weighted_round_robin_test
}  // namespace fulcrum::balance
