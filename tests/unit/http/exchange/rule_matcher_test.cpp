#include "http/exchange/rule_matcher.hpp"

#include <gtest/gtest.h>

#include "http/exchange/redirect_location.hpp"

namespace fulcrum::http {
namespace rule_matcher_test {

TEST(GlobMatch, StarsQuestionMarksAndCase) {
  EXPECT_TRUE(glob_match("/v1/*", "/v1/users"));
  EXPECT_TRUE(glob_match("/v1/*", "/v1/"));
  EXPECT_FALSE(glob_match("/v1/*", "/v1"));
  EXPECT_TRUE(glob_match("/img/*.png", "/img/a/b.png"));
  EXPECT_FALSE(glob_match("/img/*.png", "/img/a.png.gif"));
  EXPECT_TRUE(glob_match("/a?c", "/abc"));
  EXPECT_FALSE(glob_match("/a?c", "/ac"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*.example.com", "API.example.COM", true));
  EXPECT_FALSE(glob_match("*.example.com", "API.example.COM", false));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYbZZc"));
}

TEST(SplitTarget, OriginAndAbsoluteForms) {
  std::string_view path, query;
  split_target("/a/b?x=1&y", path, query);
  EXPECT_EQ(path, "/a/b");
  EXPECT_EQ(query, "x=1&y");
  split_target("http://host:80/p?q", path, query);
  EXPECT_EQ(path, "/p");
  EXPECT_EQ(query, "q");
  EXPECT_EQ(host_without_port("Example.com:8080"), "Example.com");
  EXPECT_EQ(host_without_port("[::1]:80"), "[::1]");
}

TEST(RuleMatcher, AllConditionsMustHold) {
  config::Match match;
  match.host = {"*.Example.com"};
  match.method = {"GET"};
  match.header = {{"X-Team", "a*"}};
  match.query = {{"v", "2"}};
  match.cookie = {{"beta", "yes"}};
  match.source = {"10.0.0.0/8"};
  RuleMatcher matcher(match);
  Header headers[] = {{"x-team", "alpha", HeaderId::other}, {"Cookie", "a=1; beta=yes", HeaderId::cookie}};
  uint8_t inside[4] = {10, 1, 2, 3};
  uint8_t outside[4] = {11, 1, 2, 3};
  RequestFacts facts{"GET", "www.example.com", "/", "x=1&v=2", headers, AF_INET, inside};
  EXPECT_TRUE(matcher.matches(facts));
  auto changed = facts;
  changed.address = outside;
  EXPECT_FALSE(matcher.matches(changed));
  changed = facts;
  changed.method = "POST";
  EXPECT_FALSE(matcher.matches(changed));
  changed = facts;
  changed.query = "v=3";
  EXPECT_FALSE(matcher.matches(changed));
  changed = facts;
  changed.host = "example.org";
  EXPECT_FALSE(matcher.matches(changed));
  Header no_cookie[] = {{"x-team", "alpha", HeaderId::other}};
  changed = facts;
  changed.headers = no_cookie;
  EXPECT_FALSE(matcher.matches(changed));
  EXPECT_TRUE(RuleMatcher(config::Match{}).matches(facts));  // no conditions: always
}

TEST(RedirectLocation, PartsPlaceholdersAndDefaultPorts) {
  config::Redirect to_https;
  to_https.scheme = "https";
  RedirectRequest request{"http", "example.com", 80, "/a", "b=1"};
  EXPECT_EQ(redirect_location(to_https, request), "https://example.com/a?b=1");
  config::Redirect moved;
  moved.path = "/new#{path}";
  moved.query = "from=#{host}";
  request.port = 8080;
  EXPECT_EQ(redirect_location(moved, request), "http://example.com:8080/new/a?from=example.com");
  config::Redirect port;
  port.port = "8443";
  port.scheme = "https";
  EXPECT_EQ(redirect_location(port, request), "https://example.com:8443/a?b=1");
}

}  // namespace rule_matcher_test
}  // namespace fulcrum::http
