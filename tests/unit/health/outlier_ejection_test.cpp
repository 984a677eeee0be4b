#include "health/outlier_ejection.hpp"

#include <gtest/gtest.h>

namespace fulcrum::health {
namespace outlier_ejection_test {

config::OutlierDetection settings() {
  config::OutlierDetection s;
  s.consecutive_failures = 5;
  s.base_ejection_time = std::chrono::seconds(30);
  s.max_ejection_percent = 50;
  return s;
}

TEST(OutlierEjection, EjectsAtTheThresholdForBaseTimesCount) {
  Ejection state;
  auto s = settings();
  EXPECT_EQ(step_ejection(state, s, 4, 0, 4, 0), EjectionEvent::none);
  EXPECT_EQ(step_ejection(state, s, 5, 0, 4, 0), EjectionEvent::ejected);
  EXPECT_EQ(state.until_ms, 30000);
  EXPECT_EQ(step_ejection(state, s, 0, 1, 4, 29999), EjectionEvent::none);
  EXPECT_EQ(step_ejection(state, s, 0, 1, 4, 30000), EjectionEvent::returned);
  // Ejected again soon: twice as long.
  EXPECT_EQ(step_ejection(state, s, 5, 0, 4, 31000), EjectionEvent::ejected);
  EXPECT_EQ(state.until_ms, 31000 + 60000);
}

TEST(OutlierEjection, ACleanPeriodForgivesOneEjection) {
  Ejection state;
  auto s = settings();
  step_ejection(state, s, 5, 0, 4, 0);
  step_ejection(state, s, 0, 1, 4, 30000);  // back at 30 s
  step_ejection(state, s, 0, 0, 4, 60000);  // 30 s clean: multiplier 1 -> 0
  EXPECT_EQ(state.ejections, 0u);
  step_ejection(state, s, 5, 0, 4, 61000);
  EXPECT_EQ(state.until_ms, 61000 + 30000);
}

TEST(OutlierEjection, CapHoldsAndIsReportedOnce) {
  auto s = settings();
  EXPECT_EQ(ejection_cap(s, 4), 2u);
  EXPECT_EQ(ejection_cap(s, 3), 1u);
  EXPECT_EQ(ejection_cap(s, 1), 0u);  // a lone target is never ejected (fail-open would send to it anyway)
  Ejection state;
  EXPECT_EQ(step_ejection(state, s, 9, 2, 4, 0), EjectionEvent::capped);
  EXPECT_EQ(step_ejection(state, s, 10, 2, 4, 100), EjectionEvent::none);
  EXPECT_FALSE(state.ejected);
  EXPECT_EQ(step_ejection(state, s, 10, 1, 4, 200), EjectionEvent::ejected);  // room again
}

TEST(OutlierEjection, DisabledNeverEjects) {
  auto s = settings();
  s.enabled = false;
  Ejection state;
  EXPECT_EQ(step_ejection(state, s, 100, 0, 4, 0), EjectionEvent::none);
}

// The monitor's order of things for one active check: record it, and when the verdict
// changed, let the change decide about the ejection. Returns what happened to the ejection.
EjectionEvent check(RiseFall& checks, Ejection& state, const config::OutlierDetection& s, bool ok, int64_t now_ms) {
  const Verdict before = checks.verdict();
  if (!checks.record(ok)) return EjectionEvent::none;
  return end_on_recovery(state, s, before, checks.verdict(), now_ms);
}

TEST(OutlierEjection, AnActiveRecoveryEndsTheEjectionAtOnce) {
  auto s = settings();
  RiseFall checks(2, 2);
  Ejection state;
  EXPECT_EQ(check(checks, state, s, true, 0), EjectionEvent::none);  // first check: healthy
  EXPECT_EQ(step_ejection(state, s, 5, 0, 4, 500), EjectionEvent::ejected);
  // The checks see it fail too, then see it work again: healthy_threshold passes in a row.
  EXPECT_EQ(check(checks, state, s, false, 1000), EjectionEvent::none);
  EXPECT_EQ(check(checks, state, s, false, 2000), EjectionEvent::none);
  EXPECT_EQ(checks.verdict(), Verdict::unhealthy);
  EXPECT_TRUE(state.ejected);
  EXPECT_EQ(check(checks, state, s, true, 3000), EjectionEvent::none);
  EXPECT_TRUE(state.ejected);
  EXPECT_EQ(check(checks, state, s, true, 4000), EjectionEvent::cleared);
  EXPECT_FALSE(state.ejected);
  // The next tick sees a target that is simply in: no second "returned".
  EXPECT_EQ(step_ejection(state, s, 0, 0, 4, 4100), EjectionEvent::none);
  EXPECT_FALSE(state.ejected);
}

TEST(OutlierEjection, PassingChecksDoNotEndTheEjectionOfAGrayFailure) {
  // Real traffic fails, /health answers: the verdict never leaves healthy, so no check ends it.
  auto s = settings();
  RiseFall checks(2, 2);
  Ejection state;
  check(checks, state, s, true, 0);
  EXPECT_EQ(step_ejection(state, s, 5, 0, 4, 500), EjectionEvent::ejected);
  for (int64_t at = 1000; at < 30000; at += 1000) {
    EXPECT_EQ(check(checks, state, s, true, at), EjectionEvent::none);
    EXPECT_EQ(step_ejection(state, s, 0, 1, 4, at + 100), EjectionEvent::none);
  }
  EXPECT_TRUE(state.ejected);
  EXPECT_EQ(step_ejection(state, s, 0, 1, 4, 30500), EjectionEvent::returned);  // base_ejection_time, as before
}

TEST(OutlierEjection, OnlyUnhealthyToHealthyIsARecovery) {
  auto s = settings();
  Ejection state;
  step_ejection(state, s, 5, 0, 4, 0);
  EXPECT_EQ(end_on_recovery(state, s, Verdict::initial, Verdict::healthy, 100), EjectionEvent::none);
  EXPECT_EQ(end_on_recovery(state, s, Verdict::healthy, Verdict::unhealthy, 200), EjectionEvent::none);
  EXPECT_EQ(end_on_recovery(state, s, Verdict::initial, Verdict::unhealthy, 300), EjectionEvent::none);
  EXPECT_TRUE(state.ejected);
  EXPECT_EQ(end_on_recovery(state, s, Verdict::unhealthy, Verdict::healthy, 400), EjectionEvent::cleared);
  // A recovery of a target that is not ejected has nothing to end.
  EXPECT_EQ(end_on_recovery(state, s, Verdict::unhealthy, Verdict::healthy, 500), EjectionEvent::none);
}

TEST(OutlierEjection, ARecoveryKeepsTheMultiplierAndForgivesFromThen) {
  auto s = settings();
  Ejection state;
  step_ejection(state, s, 5, 0, 4, 0);  // ejection 1: 30 s
  EXPECT_EQ(end_on_recovery(state, s, Verdict::unhealthy, Verdict::healthy, 2000), EjectionEvent::cleared);
  EXPECT_EQ(state.ejections, 1u);
  // Failing again soon (a flapping target): twice as long, as after an ejection that ran out.
  EXPECT_EQ(step_ejection(state, s, 5, 0, 4, 3000), EjectionEvent::ejected);
  EXPECT_EQ(state.until_ms, 3000 + 60000);
  EXPECT_EQ(end_on_recovery(state, s, Verdict::unhealthy, Verdict::healthy, 5000), EjectionEvent::cleared);
  // Staying fixed: one ejection forgiven per clean base_ejection_time, counted from the recovery.
  step_ejection(state, s, 0, 0, 4, 34999);
  EXPECT_EQ(state.ejections, 2u);
  step_ejection(state, s, 0, 0, 4, 35000);
  EXPECT_EQ(state.ejections, 1u);
  step_ejection(state, s, 0, 0, 4, 65000);
  EXPECT_EQ(state.ejections, 0u);
}

}  // namespace outlier_ejection_test
}  // namespace fulcrum::health
