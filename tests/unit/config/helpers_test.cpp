// The small parsers the loader is built from: durations, sizes, CIDRs, status matchers and
// the did-you-mean distance.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string_view>

#include "config/byte_size.hpp"
#include "config/cidr.hpp"
#include "config/did_you_mean.hpp"
#include "config/duration.hpp"
#include "config/status_matcher.hpp"

namespace fulcrum::config {
namespace helpers_test {

using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), Duration(500));
  EXPECT_EQ(parse_duration("5s"), Duration(5s));
  EXPECT_EQ(parse_duration("1m"), Duration(1min));
  EXPECT_EQ(parse_duration("1h"), Duration(1h));
  EXPECT_EQ(parse_duration("7d"), Duration(std::chrono::hours(168)));
  EXPECT_EQ(parse_duration("1h30m"), Duration(90min));
  EXPECT_EQ(parse_duration("1m30s500ms"), Duration(90500));
  EXPECT_EQ(parse_duration("0"), Duration(0));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
}

TEST(Duration, RefusesWhatIsAmbiguousOrMalformed) {
  for (std::string_view text :
       {"", "5x", "30", "5 s", "s", "-1s", "1.5s", "30m1h", "1s1s", "5sec", "1e3ms", "99999999999999999999d"}) {
    EXPECT_FALSE(parse_duration(text).has_value()) << text;
  }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(Duration(0)), "0s");
  EXPECT_EQ(format_duration(Duration(500)), "500ms");
  EXPECT_EQ(format_duration(Duration(90s)), "1m30s");
  EXPECT_EQ(format_duration(Duration(300s)), "5m");
  EXPECT_EQ(format_duration(Duration(std::chrono::hours(168))), "7d");
}

TEST(ByteSize, PlainAndBinaryUnits) {
  EXPECT_EQ(parse_byte_size("0"), 0u);
  EXPECT_EQ(parse_byte_size("65536"), 65536u);
  EXPECT_EQ(parse_byte_size("64KiB"), 65536u);
  EXPECT_EQ(parse_byte_size("10MiB"), 10u * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("1GiB"), 1024u * 1024 * 1024);
  for (std::string_view text : {"", "10KB", "10k", "KiB", "-1", "1.5MiB", "99999999999999999999GiB"}) {
    EXPECT_FALSE(parse_byte_size(text).has_value()) << text;
  }
}

TEST(Cidr, ParsesIpv4AndIpv6) {
  std::string error;
  auto v4 = parse_cidr("10.0.0.0/8", error);
  ASSERT_TRUE(v4) << error;
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->prefix_length, 8u);
  EXPECT_EQ(v4->to_string(), "10.0.0.0/8");
  auto v6 = parse_cidr("2001:db8::/32", error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->prefix_length, 32u);
  auto host = parse_cidr("192.0.2.1", error);
  ASSERT_TRUE(host) << error;
  EXPECT_EQ(host->prefix_length, 32u);
  EXPECT_TRUE(parse_cidr("0.0.0.0/0", error));
  EXPECT_TRUE(parse_cidr("::/0", error));
  EXPECT_TRUE(parse_cidr("10.128.0.0/9", error));
}

TEST(Cidr, RefusesBadOnes) {
  std::string error;
  EXPECT_FALSE(parse_cidr("10.0.0.0/33", error));
  EXPECT_EQ(error, "bad CIDR '10.0.0.0/33': the prefix length must be a number 0..32");
  EXPECT_FALSE(parse_cidr("10.0.0.1/8", error));
  EXPECT_EQ(error, "bad CIDR '10.0.0.1/8': host bits are set; did you mean '10.0.0.0/8'?");
  EXPECT_FALSE(parse_cidr("10.192.0.0/9", error));
  EXPECT_EQ(error, "bad CIDR '10.192.0.0/9': host bits are set; did you mean '10.128.0.0/9'?");
  EXPECT_FALSE(parse_cidr("example.com/8", error));
  EXPECT_FALSE(parse_cidr("10.0.0.0/", error));
  EXPECT_FALSE(parse_cidr("10.0.0.0/8x", error));
  EXPECT_FALSE(parse_cidr("2001:db8::/129", error));
}

TEST(StatusMatcher, SinglesRangesAndLists) {
  std::string error;
  auto matcher = parse_status_matcher("200,204,300-399", error);
  ASSERT_TRUE(matcher) << error;
  EXPECT_TRUE(matcher->matches(200));
  EXPECT_TRUE(matcher->matches(204));
  EXPECT_TRUE(matcher->matches(302));
  EXPECT_FALSE(matcher->matches(201));
  EXPECT_FALSE(matcher->matches(400));
  for (std::string_view text : {"", "2xx", "200-", "99", "600", "200,,204", "399-200", "200-399-400"}) {
    EXPECT_FALSE(parse_status_matcher(text, error).has_value()) << text;
  }
}

TEST(DidYouMean, EditDistance) {
  EXPECT_EQ(edit_distance("interval", "interval"), 0u);
  EXPECT_EQ(edit_distance("intreval", "interval"), 1u);  // one transposition
  EXPECT_EQ(edit_distance("Interval", "interval"), 0u);  // case is not a typo worth counting
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(DidYouMean, SuggestsOnlyPlausibleTypos) {
  constexpr std::string_view keys[] = {"interval", "timeout", "protocol", "path", "port"};
  EXPECT_EQ(closest_match("intervall", keys), "interval");
  EXPECT_EQ(closest_match("timout", keys), "timeout");
  EXPECT_EQ(closest_match("prot", keys), "port");
  EXPECT_FALSE(closest_match("colour", keys).has_value());
  EXPECT_FALSE(closest_match("x", keys).has_value());
}

}  // namespace helpers_test
}  // namespace fulcrum::config
