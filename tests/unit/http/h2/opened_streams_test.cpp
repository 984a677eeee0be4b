// OpenedStreams: which client stream identifiers below the highest never opened a stream.
#include "http/h2/opened_streams.hpp"

#include <gtest/gtest.h>

namespace fulcrum::http {
namespace opened_streams_test {

TEST(OpenedStreams, SkippedIdentifiersBelowTheHighestNeverOpened) {
  OpenedStreams s;
  EXPECT_FALSE(s.never_opened(1));  // nothing opened yet: every identifier is still new
  s.opened(1);
  s.opened(5);
  EXPECT_FALSE(s.never_opened(1));
  EXPECT_TRUE(s.never_opened(3));
  EXPECT_FALSE(s.never_opened(5));
  EXPECT_FALSE(s.never_opened(7));  // above the highest: a new stream
}

TEST(OpenedStreams, TheWindowSlidesAndForgetsWhatFallsOutOfIt) {
  OpenedStreams s;
  for (int32_t id = 1; id <= 401; id += 2) {
    if (id != 301) s.opened(id);
  }
  EXPECT_TRUE(s.never_opened(301));
  EXPECT_FALSE(s.never_opened(299));
  EXPECT_FALSE(s.never_opened(1));  // older than the window: unknown, so not refused
  // A jump wider than one word, then wider than the window.
  s.opened(401 + 2 * 70);
  EXPECT_FALSE(s.never_opened(401));
  EXPECT_TRUE(s.never_opened(403));
  s.opened(401 + 2 * 70 + 2 * 200);
  EXPECT_FALSE(s.never_opened(401 + 2 * 70));  // fell out of the window
  EXPECT_TRUE(s.never_opened(401 + 2 * 70 + 2 * 200 - 2));
}

}  // namespace opened_streams_test
}  // namespace fulcrum::http
