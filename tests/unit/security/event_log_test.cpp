#include "security/event_log.hpp"

#include <gtest/gtest.h>

namespace fulcrum::security {
namespace event_log_test {

TEST(EventLog, LogsWithinItsBudgetAndCountsTheLinesLeftOut) {
  EventLog log;
  ClientAddress client;
  for (int i = 0; i < 101; ++i) log.line(Event::denied, "web", client);  // lines not emitted: budget only
  // At most 20 lines a second: even if the loop straddled a second, 101 - 2 x 20 were held back.
  EXPECT_GE(log.suppressed(), 61u);
  EXPECT_LE(log.suppressed(), 81u);
}

}  // namespace event_log_test
}  // namespace fulcrum::security
