#include "security/event_log.hpp"

#include <gtest/gtest.h>

namespace fulcrum::security {
namespace {

TEST(EventLog, CountsEveryEventButLogsWithinItsBudget) {
  EventLog log;
  ClientAddress client;
  for (int i = 0; i < 100; ++i) log.record(Event::denied, "web", client);  // lines not emitted: counting only
  log.record(Event::waf_blocked, "web", client);
  EXPECT_EQ(log.total(Event::denied), 100u);
  EXPECT_EQ(log.total(Event::waf_blocked), 1u);
  EXPECT_EQ(log.total(Event::too_many_connections), 0u);
  // At most 20 lines a second: even if the loop straddled a second, 101 - 2 x 20 were held back.
  EXPECT_GE(log.suppressed(), 61u);
  EXPECT_LE(log.suppressed(), 81u);
}

}  // namespace
}  // namespace fulcrum::security
