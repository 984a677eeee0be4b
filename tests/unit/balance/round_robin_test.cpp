#include "balance/round_robin.hpp"

#include <gtest/gtest.h>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace round_robin_test {

using testing::Group;

TEST(RoundRobin, TakesEqualTurnsInOrder) {
  Group group(std::vector<uint32_t>{5, 2, 1});  // weights do not matter to plain round robin
  auto picker = group.picker(Algorithm::round_robin);
  for (int cycle = 0; cycle < 3; ++cycle) {
    EXPECT_EQ(picker->pick({}), 0u);
    EXPECT_EQ(picker->pick({}), 1u);
    EXPECT_EQ(picker->pick({}), 2u);
  }
}

TEST(RoundRobin, SharesAreEqualOverManyPicks) {
  Group group(std::vector<uint32_t>{5, 2});
  auto picker = group.picker(Algorithm::round_robin);
  const auto share = testing::shares(*picker, 2, 100000);
  EXPECT_NEAR(share[0], 0.5, 0.01);
  EXPECT_NEAR(share[1], 0.5, 0.01);
}

TEST(RoundRobin, SkipsIneligibleAndWeightZero) {
  Group group(std::vector<uint32_t>{1, 0, 1, 1});
  auto picker = group.picker(Algorithm::round_robin, {}, {2});
  for (int i = 0; i < 20; ++i) {
    const auto chosen = picker->pick({});
    ASSERT_TRUE(chosen);
    EXPECT_TRUE(*chosen == 0 || *chosen == 3) << *chosen;
  }
}

// Workers share the group's turns, so their first picks go to different targets, in turn.
TEST(RoundRobin, WorkersTakeTheGroupsTurnsInOrder) {
  Group group = Group::equal(8);
  auto factory = make_picker_factory(group.set(), {.algorithm = Algorithm::round_robin});
  for (uint32_t worker = 0; worker < 4; ++worker) EXPECT_EQ(factory->for_worker(worker)->pick({}), worker);
  EXPECT_EQ(factory->for_worker(0)->pick({}), 4u);
}

TEST(RoundRobin, EmptyGroupGivesNothing) {
  Group group = Group::equal(3);
  auto picker = group.picker(Algorithm::round_robin, {}, {0, 1, 2});
  EXPECT_FALSE(picker->pick({}));
  auto none = make_picker_factory(nullptr, {.algorithm = Algorithm::round_robin});
  EXPECT_FALSE(none->for_worker(0)->pick({}));
  EXPECT_TRUE(none->targets().targets.empty());
}

}  // namespace round_robin_test
}  // namespace fulcrum::balance

namespace fulcrum::balance {
namespace round_robin_test {

// Workers keep their picker until the next snapshot; the factory may be gone by then.
TEST(PickerLifetime, PickerOutlivesItsFactoryAndTargetSet) {
  for (const Algorithm algorithm : testing::all_algorithms()) {
    std::unique_ptr<Picker> picker;
    {
      testing::Group group = testing::Group::equal(3);
      auto factory = make_picker_factory(group.set(), {.algorithm = algorithm});
      EXPECT_EQ(factory->targets().targets.size(), 3u);
      picker = factory->for_worker(1);
    }
    // The group's counters are gone too, so only algorithms that do not read them can pick
    // here; what matters is that the picker's own tables are still alive (ASan checks this).
    if (!testing::counts_connections(algorithm) && algorithm != Algorithm::random_two_choices) {
      PickRequest request;
      request.hash = 1;
      EXPECT_TRUE(picker->pick(request)) << testing::name_of(algorithm);
    }
  }
}

}  // namespace round_robin_test
}  // namespace fulcrum::balance
