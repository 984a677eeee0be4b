#include "balance/resource_based.hpp"

#include <gtest/gtest.h>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace resource_based_test {

using testing::Group;

constexpr int64_t kNow = 5'000'000;

void report(Group& group, size_t target, uint32_t load_permille, int64_t at_ms = kNow - 1000) {
  group.counters(target).reported_load_permille = load_permille;
  group.counters(target).load_reported_at_ms = at_ms;
}

PickRequest at_now() {
  PickRequest request;
  request.now_ms = kNow;
  return request;
}

TEST(ResourceBased, NinetyPercentLoadGetsAtMostAFifthOfTenPercentsTraffic) {
  Group group = Group::equal(2);
  report(group, 0, 100);  // 10 %
  report(group, 1, 900);  // 90 %
  auto picker = group.picker(Algorithm::resource_based);
  const auto share = testing::shares_with_churn(*picker, group, 100000, 200, at_now());
  ::testing::Test::RecordProperty("share_at_90_percent_load", std::to_string(share[1]));
  EXPECT_LE(share[1], share[0] / 5);
  EXPECT_GT(share[1], 0.0);  // preferred against, not excluded
}

TEST(ResourceBased, IdleGroupGoesToTheLeastLoaded) {
  Group group = Group::equal(3);
  report(group, 0, 700);
  report(group, 1, 200);
  report(group, 2, 500);
  auto picker = group.picker(Algorithm::resource_based);
  EXPECT_EQ(picker->pick(at_now()), 1u);
}

TEST(ResourceBased, StaleReportsFallBackToWeightedLeastConnectionsExactly) {
  Group group(std::vector<uint32_t>{5, 2, 3});
  report(group, 0, 50, kNow - 60'000);  // older than the 15 s default
  report(group, 1, 990, kNow - 16'000);
  // target 2 never reported
  auto resource = group.picker(Algorithm::resource_based);
  auto factory = make_picker_factory(group.set(), {.algorithm = Algorithm::weighted_least_connections});
  auto weighted = factory->for_worker(0);
  std::deque<uint32_t> open;
  for (int i = 0; i < 20000; ++i) {
    const auto chosen = resource->pick(at_now());
    ASSERT_EQ(chosen, weighted->pick(at_now())) << "pick " << i;
    group.counters(*chosen).active.fetch_add(1);
    open.push_back(*chosen);
    if (open.size() > 100) {
      group.counters(open.front()).active.fetch_sub(1);
      open.pop_front();
    }
  }
}

TEST(ResourceBased, FreshnessFollowsTheConfiguredMaximumAge) {
  Group group = Group::equal(2);
  report(group, 0, 900, kNow - 4000);
  report(group, 1, 100, kNow - 4000);
  Options options;
  options.load_report_max_age_ms = 5000;
  auto fresh = group.picker(Algorithm::resource_based, options);
  EXPECT_EQ(fresh->pick(at_now()), 1u);
  EXPECT_EQ(fresh->pick(at_now()), 1u);
  options.load_report_max_age_ms = 3000;  // now both are stale: plain turns
  auto stale = group.picker(Algorithm::resource_based, options);
  EXPECT_EQ(stale->pick(at_now()), 0u);
  EXPECT_EQ(stale->pick(at_now()), 1u);
}

TEST(ResourceBased, FullyLoadedTargetIsLastNotGone) {
  Group group = Group::equal(2);
  report(group, 0, 1000);
  report(group, 1, 1000);
  auto picker = group.picker(Algorithm::resource_based);
  EXPECT_TRUE(picker->pick(at_now()));
}

}  // namespace resource_based_test
}  // namespace fulcrum::balance
