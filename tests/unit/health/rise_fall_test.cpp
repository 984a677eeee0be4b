#include "health/rise_fall.hpp"

#include <gtest/gtest.h>

namespace fulcrum::health {
namespace rise_fall_test {

TEST(RiseFall, FirstCheckDecidesEitherWay) {
  RiseFall good(3, 3);
  EXPECT_TRUE(good.record(true));
  EXPECT_EQ(good.verdict(), Verdict::healthy);
  RiseFall bad(3, 3);
  EXPECT_TRUE(bad.record(false));
  EXPECT_EQ(bad.verdict(), Verdict::unhealthy);
}

TEST(RiseFall, ThresholdsInARow) {
  RiseFall counter(2, 3);
  counter.record(true);
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(true));  // a success breaks the streak
  EXPECT_FALSE(counter.record(false));
  EXPECT_FALSE(counter.record(false));
  EXPECT_TRUE(counter.record(false));  // third in a row
  EXPECT_EQ(counter.verdict(), Verdict::unhealthy);
  EXPECT_FALSE(counter.record(true));
  EXPECT_TRUE(counter.record(true));  // healthy_threshold 2
  EXPECT_EQ(counter.verdict(), Verdict::healthy);
}

TEST(RiseFall, ThresholdOfOneFlipsAtOnce) {
  RiseFall counter(1, 1);
  counter.record(true);
  EXPECT_TRUE(counter.record(false));
  EXPECT_TRUE(counter.record(true));
}

}  // namespace rise_fall_test
}  // namespace fulcrum::health
