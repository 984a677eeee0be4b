#include "upstream/outlier_doorbell.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <memory>

#include "upstream/passive_report.hpp"

namespace fulcrum::upstream {
namespace outlier_doorbell_test {

// Rings waiting on `fd` (0 when none), emptying the counter.
uint64_t take_rings(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 0) != 1) return 0;
  uint64_t rings = 0;
  EXPECT_EQ(::read(fd, &rings, sizeof rings), static_cast<ssize_t>(sizeof rings));
  return rings;
}

TEST(OutlierDoorbell, TheStreakThatReachesTheThresholdRingsOnce) {
  auto doorbell = std::make_shared<OutlierDoorbell>();
  const int fd = doorbell->duplicate();
  ASSERT_GE(fd, 0);
  config::TargetGroupConfig config;
  config.outlier_detection.consecutive_failures = 3;
  GroupSnapshot group;
  group.config = &config;
  group.doorbell = doorbell;
  TargetInfo target;
  target.outcomes = std::make_shared<TrafficOutcomes>();

  report_traffic_failure(group, target, TrafficFailure::reset);
  report_traffic_failure(group, target, TrafficFailure::reset);
  EXPECT_EQ(take_rings(fd), 0u) << "two failures of three: nothing to tell yet";
  report_traffic_failure(group, target, TrafficFailure::timeout);
  EXPECT_EQ(take_rings(fd), 1u);
  report_traffic_failure(group, target, TrafficFailure::timeout);  // past it (ejection capped): no more rings
  EXPECT_EQ(take_rings(fd), 0u);

  // A success ends the streak; the next streak rings again when it gets there.
  report_traffic_success(target);
  for (int i = 0; i < 3; ++i) report_traffic_failure(group, target, TrafficFailure::connect_refused);
  EXPECT_EQ(take_rings(fd), 1u);
  ::close(fd);
}

TEST(OutlierDoorbell, NoDoorbellOrDetectionOffIsQuiet) {
  config::TargetGroupConfig config;
  config.outlier_detection.consecutive_failures = 1;
  GroupSnapshot group;
  group.config = &config;
  TargetInfo target;
  target.outcomes = std::make_shared<TrafficOutcomes>();
  report_traffic_failure(group, target, TrafficFailure::reset);  // no doorbell: counted only
  EXPECT_EQ(target.outcomes->consecutive_failures.load(), 1u);

  auto doorbell = std::make_shared<OutlierDoorbell>();
  const int fd = doorbell->duplicate();
  group.doorbell = doorbell;
  config.outlier_detection.enabled = false;
  target.outcomes->consecutive_failures = 0;
  report_traffic_failure(group, target, TrafficFailure::reset);
  EXPECT_EQ(take_rings(fd), 0u);
  ::close(fd);
}

}  // namespace outlier_doorbell_test
}  // namespace fulcrum::upstream
