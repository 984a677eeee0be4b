// Priority tiers: the standby targets of higher tiers take a request only once it has avoided
// every eligible target, or for its last attempt; within a tier they take turns. Under every
// algorithm, since the wrapper sits around each of them.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "balance/standby_tiers.hpp"
#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace standby_tiers_test {

using testing::all_algorithms;
using testing::Group;
using testing::name_of;

// Targets 0,1 are the first tier (eligible), 2,3 the second, 4 the third.
std::shared_ptr<const TargetSet> tiered(const Group& group) {
  auto set = std::make_shared<TargetSet>(*group.set());
  set->eligible = {0, 1};
  set->standby = {{2, 3}, {4}};
  return set;
}

TEST(StandbyTiers, OnlyTheFirstTierWhileItsTargetsAreNotAvoided) {
  for (Algorithm algorithm : all_algorithms()) {
    Group group = Group::equal(5);
    auto factory = make_picker_factory(tiered(group), {.algorithm = algorithm, .max_attempts = 3});
    auto picker = factory->for_worker(0);
    std::set<uint32_t> seen;
    for (uint32_t i = 0; i < 200; ++i) {
      const uint32_t avoided[] = {0};
      PickRequest request{.hash = testing::client_key(i)};
      if (i % 2 == 1) request.avoid = avoided;  // a first retry stays in the tier
      const auto chosen = picker->pick(request);
      ASSERT_TRUE(chosen.has_value()) << name_of(algorithm);
      seen.insert(*chosen);
    }
    EXPECT_TRUE(seen.count(0) + seen.count(1) == seen.size()) << name_of(algorithm) << ": a standby target was picked";
  }
}

TEST(StandbyTiers, ARequestThatAvoidedTheWholeTierGoesToTheNextTakingTurns) {
  for (Algorithm algorithm : all_algorithms()) {
    Group group = Group::equal(5);
    auto factory = make_picker_factory(tiered(group), {.algorithm = algorithm});  // attempts unknown
    auto picker = factory->for_worker(0);
    std::map<uint32_t, int> counts;
    const uint32_t avoided[] = {0, 1};
    for (int i = 0; i < 100; ++i) {
      const auto chosen = picker->pick({.hash = testing::client_key(static_cast<uint32_t>(i)), .avoid = avoided});
      ASSERT_TRUE(chosen.has_value()) << name_of(algorithm);
      ++counts[*chosen];
    }
    EXPECT_EQ(counts, (std::map<uint32_t, int>{{2, 50}, {3, 50}})) << name_of(algorithm);
    // The second tier avoided too: the third.
    const uint32_t all_but_last[] = {0, 1, 2, 3};
    EXPECT_EQ(picker->pick({.avoid = all_but_last}), 4u) << name_of(algorithm);
    const uint32_t all[] = {0, 1, 2, 3, 4};
    EXPECT_EQ(picker->pick({.avoid = all}), std::nullopt) << name_of(algorithm);
  }
}

// With three attempts, the third goes to the standby tier even though the first tier still
// has a target the request has not tried: two failures in a row say the tier is failing.
TEST(StandbyTiers, TheLastAttemptGoesToTheStandbyTier) {
  Group group = Group::equal(6);
  auto set = std::make_shared<TargetSet>(*group.set());
  set->eligible = {0, 1, 2};
  set->standby = {{3, 4}};
  auto factory = make_picker_factory(set, {.algorithm = Algorithm::round_robin, .max_attempts = 3});
  auto picker = factory->for_worker(0);
  const uint32_t two_failed[] = {0, 1};
  const auto chosen = picker->pick({.avoid = two_failed});
  ASSERT_TRUE(chosen.has_value());
  EXPECT_TRUE(*chosen == 3 || *chosen == 4) << *chosen;
  // A last attempt whose standby tier was already tried goes back to the first tier's untried
  // targets.
  const uint32_t standby_failed[] = {3, 4};
  const auto back = picker->pick({.avoid = standby_failed});
  ASSERT_TRUE(back.has_value());
  EXPECT_LE(*back, 2u);
  // A first retry stays in the first tier.
  const uint32_t one_failed[] = {0};
  const auto retry = picker->pick({.avoid = one_failed});
  ASSERT_TRUE(retry.has_value());
  EXPECT_TRUE(*retry == 1 || *retry == 2) << *retry;
}

TEST(StandbyTiers, NoStandbyMeansTheAlgorithmsOwnFactory) {
  Group group = Group::equal(3);
  auto factory = make_picker_factory(group.set(), {.algorithm = Algorithm::ip_hash, .max_attempts = 3});
  EXPECT_EQ(primary_of(factory.get()), factory.get());
  auto with = make_picker_factory(tiered(Group::equal(5)), {.algorithm = Algorithm::ip_hash, .max_attempts = 3});
  EXPECT_NE(primary_of(with.get()), with.get());
}

}  // namespace standby_tiers_test
}  // namespace fulcrum::balance
