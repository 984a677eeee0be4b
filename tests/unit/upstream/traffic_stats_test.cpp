#include "upstream/traffic_stats.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fulcrum::upstream {
namespace traffic_stats_test {

TEST(TrafficStats, SumsEverySlotAndHistogramsBucketByUpperBound) {
  TrafficStats stats(2);
  auto& slot = stats.local();  // not a worker thread: the spare slot
  slot.responses[status_class(204)].add();
  slot.responses[status_class(503)].add(2);
  slot.responses[status_class(0)].add();
  slot.request.record(500);   // on the 500 us bound: that bucket
  slot.request.record(501);   // the next one
  slot.request.record(20'000'000);  // beyond the last bound: +Inf
  const StatsTotals totals = stats.sum();
  EXPECT_EQ(totals.responses[2], 1u);
  EXPECT_EQ(totals.responses[5], 2u);
  EXPECT_EQ(totals.responses[0], 1u);
  EXPECT_EQ(totals.requests(), 4u);
  EXPECT_EQ(totals.request.count, 3u);
  EXPECT_EQ(totals.request.buckets[0], 1u);
  EXPECT_EQ(totals.request.buckets[1], 1u);
  EXPECT_EQ(totals.request.buckets[kLatencyBuckets - 1], 1u);
  EXPECT_EQ(totals.request.sum_us, 500u + 501u + 20'000'000u);
}

TEST(LatencyTotals, QuantilesInterpolateWithinTheirBucketAndWindowsSubtract) {
  LatencyTotals totals;
  EXPECT_EQ(totals.quantile_us(0.5), -1);
  // 100 samples spread evenly over (1 ms, 2.5 ms]: the bucket with bounds 1000..2500 us.
  totals.buckets[2] = 100;
  totals.count = 100;
  EXPECT_DOUBLE_EQ(totals.quantile_us(0.5), 1750);
  EXPECT_DOUBLE_EQ(totals.quantile_us(1.0), 2500);
  LatencyTotals later = totals;
  later.buckets[4] += 10;  // 10 more in (5 ms, 10 ms]
  later.count += 10;
  const LatencyTotals window = later.minus(totals);
  EXPECT_EQ(window.count, 10u);
  EXPECT_GT(window.quantile_us(0.5), 5000);
  EXPECT_LE(window.quantile_us(0.99), 10000);
}

TEST(TrafficStats, ConnectionsOpenMinusClosedIsActive) {
  StatsTotals totals;
  totals.connections_opened = 5;
  totals.connections_closed = 3;
  EXPECT_EQ(totals.active_connections(), 2u);
  totals.connections_closed = 6;  // read mid-update from another thread: never negative
  EXPECT_EQ(totals.active_connections(), 0u);
}

}  // namespace traffic_stats_test
}  // namespace fulcrum::upstream
