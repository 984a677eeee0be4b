#include "balance/random_two_choices.hpp"

#include <gtest/gtest.h>

#include "balance/alias_table.hpp"
#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace random_two_choices_test {

using testing::Group;

TEST(RandomTwoChoices, NeverPicksTheMoreLoadedOfTwo) {
  Group group = Group::equal(2);
  group.counters(0).active = 10;
  auto picker = group.picker(Algorithm::random_two_choices);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(picker->pick({}), 1u);
}

TEST(RandomTwoChoices, AvoidsLoadedTargetsInALargeGroup) {
  Group group = Group::equal(100);
  for (uint32_t i = 0; i < 50; ++i) group.counters(i).active = 100;  // half of them are busy
  auto picker = group.picker(Algorithm::random_two_choices);
  const auto share = testing::shares(*picker, 100, 100000);
  double busy = 0;
  for (uint32_t i = 0; i < 50; ++i) busy += share[i];
  EXPECT_NEAR(busy, 50.0 / 100 * 49 / 99, 0.01);  // only when both (distinct) draws are busy
}

TEST(RandomTwoChoices, KeepsConnectionsBalancedUnderChurn) {
  Group group = Group::equal(50);
  auto picker = group.picker(Algorithm::random_two_choices);
  std::deque<uint32_t> open;
  uint32_t max_active = 0;
  for (int i = 0; i < 50000; ++i) {
    const uint32_t chosen = *picker->pick({});
    group.counters(chosen).active.fetch_add(1);
    open.push_back(chosen);
    if (open.size() > 500) {
      group.counters(open.front()).active.fetch_sub(1);
      open.pop_front();
    }
    if (i > 5000) {
      for (uint32_t t = 0; t < 50; ++t) max_active = std::max(max_active, group.counters(t).active.load());
    }
  }
  EXPECT_LE(max_active, 16u);  // mean 10; one random choice would reach well above 20
}

TEST(RandomTwoChoices, WorkersDrawDifferentSequences) {
  Group group = Group::equal(10);
  auto factory = make_picker_factory(group.set(), {.algorithm = Algorithm::random_two_choices});
  auto first = factory->for_worker(0);
  auto second = factory->for_worker(1);
  int same = 0;
  for (int i = 0; i < 1000; ++i) same += first->pick({}) == second->pick({});
  EXPECT_LT(same, 300);
}

TEST(AliasTable, DrawsInProportionToWeight) {
  const std::vector<uint32_t> weights{1, 0, 5, 1000, 3, 3};
  const AliasTable table(weights);
  FastRandom random(42);
  std::vector<double> counts(weights.size(), 0);
  const int draws = 1'000'000;
  for (int i = 0; i < draws; ++i) counts[table.draw(random)] += 1;
  double total = 0;
  for (uint32_t w : weights) total += w;
  for (size_t i = 0; i < weights.size(); ++i) EXPECT_NEAR(counts[i] / draws, weights[i] / total, 0.002) << i;
  EXPECT_EQ(counts[1], 0);
}

TEST(FastRandom, BelowStaysInRangeAndCoversIt) {
  FastRandom random(1);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const uint32_t value = random.below(7);
    ASSERT_LT(value, 7u);
    ++seen[value];
  }
  for (int count : seen) EXPECT_NEAR(count, 1000, 150);
}

}  // namespace random_two_choices_test
}  // namespace fulcrum::balance
