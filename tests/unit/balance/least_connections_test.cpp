#include "balance/least_connections.hpp"

#include <gtest/gtest.h>

#include "balance/weighted_least_connections.hpp"
#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace least_connections_test {

using testing::Group;

TEST(LeastConnections, NewConnectionsAvoidTheTargetHoldingLongLivedOnes) {
  Group group = Group::equal(3);
  group.counters(1).active = 50;  // long-lived connections held on target 1
  auto picker = group.picker(Algorithm::least_connections);
  // Until the others catch up to 50, every new connection goes elsewhere.
  for (int i = 0; i < 98; ++i) {
    const uint32_t chosen = *picker->pick({});
    EXPECT_NE(chosen, 1u) << "pick " << i;
    group.counters(chosen).active.fetch_add(1);
  }
  EXPECT_EQ(group.counters(0).active.load(), 49u);
  EXPECT_EQ(group.counters(2).active.load(), 49u);
}

TEST(LeastConnections, TiesRotateInsteadOfAlwaysTheFirst) {
  Group group = Group::equal(4);
  auto picker = group.picker(Algorithm::least_connections);
  // Counters never change: every pick is a four-way tie, which must go in turn.
  for (int cycle = 0; cycle < 3; ++cycle) {
    for (uint32_t expected = 0; expected < 4; ++expected) EXPECT_EQ(picker->pick({}), expected);
  }
}

TEST(LeastConnections, TiesAmongTheLeastLoadedRotateToo) {
  Group group = Group::equal(4);
  group.counters(0).active = 5;
  group.counters(2).active = 5;
  auto picker = group.picker(Algorithm::least_connections);
  EXPECT_EQ(picker->pick({}), 1u);
  EXPECT_EQ(picker->pick({}), 3u);
  EXPECT_EQ(picker->pick({}), 1u);
  EXPECT_EQ(picker->pick({}), 3u);
}

TEST(LeastConnections, IgnoresWeightsButNotWeightZero) {
  Group group(std::vector<uint32_t>{100, 1, 0});
  auto picker = group.picker(Algorithm::least_connections);
  const auto share = testing::shares_with_churn(*picker, group, 10000, 100);
  EXPECT_NEAR(share[0], 0.5, 0.01);
  EXPECT_NEAR(share[1], 0.5, 0.01);
  EXPECT_EQ(share[2], 0.0);
}

TEST(LeastConnections, LargeGroupsStillSteerClearOfLoadedTargets) {
  Group group = Group::equal(1000);
  for (uint32_t i = 0; i < 1000; i += 10) group.counters(i).active = 1000;  // every tenth is swamped
  auto picker = group.picker(Algorithm::least_connections);
  const auto share = testing::shares_with_churn(*picker, group, 100000, 500);
  double swamped = 0;
  for (uint32_t i = 0; i < 1000; i += 10) swamped += share[i];
  EXPECT_EQ(swamped, 0.0);
  // And every other target is used (windows never skip a candidate).
  for (uint32_t i = 0; i < 1000; ++i) {
    if (i % 10 != 0) {
      EXPECT_GT(share[i], 0.0) << i;
    }
  }
}

TEST(LeastConnections, LargeGroupsBalanceConnections) {
  Group group = Group::equal(200);
  auto picker = group.picker(Algorithm::least_connections);
  std::deque<uint32_t> open;
  uint32_t max_active = 0;
  for (int i = 0; i < 50000; ++i) {
    const uint32_t chosen = *picker->pick({});
    group.counters(chosen).active.fetch_add(1);
    open.push_back(chosen);
    if (open.size() > 2000) {  // 10 per target on average
      group.counters(open.front()).active.fetch_sub(1);
      open.pop_front();
    }
    if (i > 10000) {
      for (uint32_t t = 0; t < 200; ++t) max_active = std::max(max_active, group.counters(t).active.load());
    }
  }
  EXPECT_LE(max_active, 13u);  // a full scan would keep it at 10 or 11
}

TEST(WeightedLeastConnections, ScoresActivePerWeight) {
  Group group(std::vector<uint32_t>{4, 1});
  group.counters(0).active = 6;  // (6+1)/4 = 1.75
  group.counters(1).active = 1;  // (1+1)/1 = 2
  auto picker = group.picker(Algorithm::weighted_least_connections);
  EXPECT_EQ(picker->pick({}), 0u);
  group.counters(0).active = 8;  // 2.25 > 2
  EXPECT_EQ(picker->pick({}), 1u);
}

TEST(WeightedLeastConnections, IdleGroupPrefersTheHeavierTarget) {
  Group group(std::vector<uint32_t>{1, 3, 1});
  auto picker = group.picker(Algorithm::weighted_least_connections);
  EXPECT_EQ(picker->pick({}), 1u);
}

TEST(WeightedLeastConnections, TiesRotate) {
  Group group(std::vector<uint32_t>{2, 2, 2});
  auto picker = group.picker(Algorithm::weighted_least_connections);
  EXPECT_EQ(picker->pick({}), 0u);
  EXPECT_EQ(picker->pick({}), 1u);
  EXPECT_EQ(picker->pick({}), 2u);
  EXPECT_EQ(picker->pick({}), 0u);
}

TEST(WeightedLeastConnections, HeldConnectionsPushTrafficToOthers) {
  Group group(std::vector<uint32_t>{5, 2});
  group.counters(0).active = 500;
  auto picker = group.picker(Algorithm::weighted_least_connections);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(picker->pick({}), 1u);  // (0+1)/2 < (500+1)/5
}

}  // namespace least_connections_test
}  // namespace fulcrum::balance
