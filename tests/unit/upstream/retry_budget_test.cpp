#include "upstream/retry_budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace fulcrum::upstream {
namespace retry_budget_test {

// A budget whose bucket is empty: only deposits made in the test count.
std::unique_ptr<RetryBudget> empty_budget() {
  auto budget = std::make_unique<RetryBudget>();
  budget->balance.store(0);
  return budget;
}

TEST(RetryBudget, AQuietGroupAlwaysHasThreeConcurrentRetries) {
  auto budget = empty_budget();
  BudgetedRequest a, b, c, d;
  for (auto* request : {&a, &b, &c, &d}) request->reset(budget.get(), 0);
  EXPECT_TRUE(a.allow_retry());
  EXPECT_TRUE(b.allow_retry());
  EXPECT_TRUE(c.allow_retry());
  EXPECT_FALSE(d.allow_retry()) << "no deposits: only the three always allowed";
  EXPECT_EQ(budget->refused.load(), 1u);
  EXPECT_TRUE(a.allow_retry()) << "a request that holds a retry keeps it for its further attempts";
  a.reset();
  EXPECT_TRUE(d.allow_retry()) << "a request that ended gave its retry back";
}

TEST(RetryBudget, RetriesStayWithinThePercentageOfRequestsOverTime) {
  auto budget = empty_budget();
  // Every request fails (an outage): how many of 1,000 get a retry, beyond the three in flight?
  std::vector<std::unique_ptr<BudgetedRequest>> held;
  int retried = 0;
  for (int i = 0; i < 1000; ++i) {
    held.push_back(std::make_unique<BudgetedRequest>());
    held.back()->reset(budget.get(), 20);
    retried += held.back()->allow_retry() ? 1 : 0;
  }
  EXPECT_EQ(retried, 200 + 3);
  EXPECT_EQ(budget->refused.load(), 1000u - 203u);
}

TEST(RetryBudget, AFullBucketAbsorbsTheBurstOfATargetDyingAndCapsAtItsSize) {
  RetryBudget budget;  // starts full
  std::vector<std::unique_ptr<BudgetedRequest>> burst;
  int retried = 0;
  // 200 requests in flight when their target dies; deposits into a full bucket are lost.
  for (int i = 0; i < 200; ++i) {
    burst.push_back(std::make_unique<BudgetedRequest>());
    burst.back()->reset(&budget, 20);
  }
  for (auto& request : burst) retried += request->allow_retry() ? 1 : 0;
  EXPECT_EQ(retried, RetryBudget::kBurstRetries + 3);
}

TEST(RetryBudget, ZeroPercentLeavesOnlyTheConcurrentFloor) {
  auto budget = empty_budget();
  std::vector<std::unique_ptr<BudgetedRequest>> held;
  int retried = 0;
  for (int i = 0; i < 50; ++i) {
    held.push_back(std::make_unique<BudgetedRequest>());
    held.back()->reset(budget.get(), 0);
    retried += held.back()->allow_retry() ? 1 : 0;
  }
  EXPECT_EQ(retried, 3);
  BudgetedRequest unbudgeted;  // a group built without a budget: bounded by attempts alone
  EXPECT_TRUE(unbudgeted.allow_retry());
}

TEST(RetryBudget, WorkersRacingForTheLastRetriesNeverOverdrawIt) {
  auto budget = empty_budget();
  budget->balance.store(8 * RetryBudget::kUnit);
  std::vector<std::unique_ptr<BudgetedRequest>> held;
  for (int i = 0; i < 40; ++i) {
    held.push_back(std::make_unique<BudgetedRequest>());
    held.back()->reset(budget.get(), 0);
  }
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 40; i += 2) granted += held[static_cast<size_t>(i)]->allow_retry() ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 8 + 3);
  EXPECT_EQ(budget->balance.load(), 0);
}

}  // namespace retry_budget_test
}  // namespace fulcrum::upstream
