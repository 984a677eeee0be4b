#include "acme/retry_after.hpp"

#include <gtest/gtest.h>

namespace fulcrum::acme::retry_after_test {

using namespace std::chrono_literals;

constexpr int64_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example
constexpr int64_t kNow = 1796688000000;  // 2026-12-08 00:00:00 UTC

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), std::chrono::milliseconds(120s));
  EXPECT_EQ(parse_retry_after(" 7 ", kNow), std::chrono::milliseconds(7s));
}

TEST(RetryAfter, FlooredAndCapped) {
  EXPECT_EQ(parse_retry_after("0", kNow), kMinRetryAfter);
  EXPECT_EQ(parse_retry_after("86400", kNow), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("99999999999999999999999", kNow), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow), kMinRetryAfter);  // past
}

TEST(RetryAfter, HttpDateIsADelayFromNow) {
  EXPECT_EQ(parse_retry_after("Tue, 08 Dec 2026 00:01:30 GMT", kNow), std::chrono::milliseconds(90s));
  EXPECT_EQ(parse_retry_after("Tue, 08 Dec 2026 00:01:30 GMT", kNow + 500), std::chrono::milliseconds(89500));
}

TEST(RetryAfter, TheThreeDateForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow), k1994);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow), k1994);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994", kNow), k1994);
  // RFC 850's two-digit year: at most 50 years ahead of now, else the century before.
  EXPECT_EQ(parse_http_date("Monday, 07-Dec-76 00:00:00 GMT", kNow), 3374524800);  // 2076
  EXPECT_EQ(parse_http_date("Wednesday, 07-Dec-77 00:00:00 GMT", kNow), 250300800);  // 1977
}

TEST(RetryAfter, GarbageIsNotADelay) {
  for (const char* value : {"", "soon", "-5", "1.5", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Nov 1994 08:49:37 GMT",
                            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49 GMT", "Sun Nov 6 08:49:37 1994"}) {
    EXPECT_FALSE(parse_retry_after(value, kNow)) << value;
  }
}

}  // namespace fulcrum::acme::retry_after_test
