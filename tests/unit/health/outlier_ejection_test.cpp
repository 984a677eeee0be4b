#include "health/outlier_ejection.hpp"

#include <gtest/gtest.h>

namespace fulcrum::health {
namespace {

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

}  // namespace
}  // namespace fulcrum::health
