// Retries: the proxy asks again with the targets that failed this request in `avoid`. Whatever
// the algorithm, an avoided target never comes back while another is eligible, and the answer is
// nullopt once every eligible target is avoided (or none is eligible at all).
#include <gtest/gtest.h>

#include <random>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace avoid_test {

using testing::Group;

class Avoid : public ::testing::TestWithParam<Algorithm> {};

TEST_P(Avoid, NeverReturnsAnAvoidedTargetWhileAnotherIsEligible) {
  std::mt19937 random(3);
  for (const size_t size : {2, 3, 7, 40}) {
    std::vector<uint32_t> weights;
    for (size_t i = 0; i < size; ++i) weights.push_back(1 + random() % 5);
    weights[random() % size] = 1000;  // a heavy target that schedules would love to return
    Group group(weights);
    for (size_t i = 0; i < size; ++i) {
      group.counters(i).active = random() % 4;
      group.counters(i).response_ewma_us = 1000 + random() % 3000;
    }
    std::vector<uint32_t> ineligible;
    if (size > 3) ineligible.push_back(1);
    auto picker = group.picker(GetParam(), {}, ineligible);
    for (int round = 0; round < 3000; ++round) {
      // Avoid a random subset that leaves at least one eligible target, plus some junk.
      std::vector<uint32_t> avoid;
      std::vector<uint32_t> left;
      for (uint32_t t = 0; t < size; ++t) {
        const bool eligible = std::find(ineligible.begin(), ineligible.end(), t) == ineligible.end();
        if (eligible && random() % 3 != 0) {
          avoid.push_back(t);
        } else if (eligible) {
          left.push_back(t);
        }
      }
      if (left.empty()) left.push_back(avoid.back()), avoid.pop_back();
      if (round % 5 == 0) avoid.push_back(static_cast<uint32_t>(size + 10));   // not a target
      if (round % 7 == 0 && !avoid.empty()) avoid.push_back(avoid.front());    // duplicate
      std::shuffle(avoid.begin(), avoid.end(), random);
      PickRequest request;
      request.avoid = avoid;
      request.hash = testing::client_key(static_cast<uint32_t>(round));
      const auto chosen = picker->pick(request);
      ASSERT_TRUE(chosen) << "size " << size << " round " << round;
      ASSERT_TRUE(std::find(left.begin(), left.end(), *chosen) != left.end())
          << "got avoided or ineligible target " << *chosen << " (size " << size << ", round " << round << ")";
    }
  }
}

TEST_P(Avoid, NothingWhenEveryEligibleTargetIsAvoided) {
  Group group(std::vector<uint32_t>{3, 1, 2, 0});
  auto picker = group.picker(GetParam(), {}, {2});
  const std::vector<uint32_t> avoid{1, 0};  // target 2 ineligible, target 3 weight 0
  PickRequest request;
  request.avoid = avoid;
  request.hash = 99;
  EXPECT_FALSE(picker->pick(request));
  const std::vector<uint32_t> with_duplicates{0, 0, 0, 0, 0};
  request.avoid = with_duplicates;
  EXPECT_EQ(picker->pick(request), 1u);
}

TEST_P(Avoid, NothingWhenNoTargetIsEligible) {
  Group group = Group::equal(3);
  auto picker = group.picker(GetParam(), {}, {0, 1, 2});
  PickRequest request;
  request.hash = 5;
  EXPECT_FALSE(picker->pick(request));
}

TEST(AvoidIpHash, RetryOfAHashedKeyIsStableToo) {
  Group group = Group::equal(6);
  auto picker = group.picker(Algorithm::ip_hash);
  PickRequest request;
  request.hash = testing::client_key(12345);
  const uint32_t first = *picker->pick(request);
  const std::vector<uint32_t> avoid{first};
  request.avoid = avoid;
  const auto second = picker->pick(request);
  ASSERT_TRUE(second);
  EXPECT_NE(*second, first);
  EXPECT_EQ(picker->pick(request), second);
}

INSTANTIATE_TEST_SUITE_P(Balance, Avoid, ::testing::ValuesIn(testing::all_algorithms()),
                         [](const auto& info) { return testing::name_of(info.param); });

}  // namespace avoid_test
}  // namespace fulcrum::balance
