#include "acme/problem.hpp"

#include <gtest/gtest.h>

namespace fulcrum::acme::problem_test {

TEST(Problem, RateLimitKeepsTheCasWords) {
  const auto problem = parse_problem(
      R"({"type":"urn:ietf:params:acme:error:rateLimited","status":429,
          "detail":"too many new orders (300) from this account in the last 3h0m0s, retry after 2026-12-08 03:00:00 UTC"})");
  ASSERT_TRUE(problem);
  EXPECT_TRUE(problem->is_rate_limited());
  EXPECT_FALSE(problem->is_bad_nonce());
  EXPECT_EQ(problem->status, 429);
  EXPECT_EQ(problem->describe(),
            "CA says: too many new orders (300) from this account in the last 3h0m0s, retry after 2026-12-08 03:00:00 UTC "
            "(rateLimited)");
}

TEST(Problem, BadNonce) {
  const auto problem = parse_problem(R"({"type":"urn:ietf:params:acme:error:badNonce","detail":"stale"})");
  ASSERT_TRUE(problem);
  EXPECT_TRUE(problem->is_bad_nonce());
  EXPECT_FALSE(problem->is_rate_limited());
}

// RFC 8555 § 6.7.1.
TEST(Problem, SubproblemsNameTheirIdentifier) {
  const auto problem = parse_problem(R"({
    "type": "urn:ietf:params:acme:error:malformed",
    "detail": "Some of the identifiers requested were rejected",
    "subproblems": [
      {"type": "urn:ietf:params:acme:error:malformed", "detail": "Invalid underscore in DNS name \"_example.org\"",
       "identifier": {"type": "dns", "value": "_example.org"}},
      {"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "This CA will not issue for \"example.net\"",
       "identifier": {"type": "dns", "value": "example.net"}}]})");
  ASSERT_TRUE(problem);
  ASSERT_EQ(problem->subproblems.size(), 2u);
  EXPECT_EQ(problem->subproblems[1].identifier, "example.net");
  EXPECT_EQ(problem->describe(),
            "CA says: Some of the identifiers requested were rejected (malformed); _example.org: Invalid underscore in "
            "DNS name \"_example.org\" (malformed); example.net: This CA will not issue for \"example.net\" "
            "(rejectedIdentifier)");
}

TEST(Problem, ControlCharactersCannotForgeLogLines) {
  const auto problem = parse_problem(R"({"type":"about:blank","detail":"one\nINFO forged line\r"})");
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->describe(), "CA says: one INFO forged line  (about:blank)");
}

TEST(Problem, LongDetailIsCut) {
  const auto problem = parse_problem(nlohmann::json{{"detail", std::string(5000, 'x')}}.dump());
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->describe(), "CA says: " + std::string(1000, 'x') + "...");
}

TEST(Problem, NotAProblem) {
  EXPECT_FALSE(parse_problem("<html>502 Bad Gateway</html>"));
  EXPECT_FALSE(parse_problem(R"({"status":"valid"})"));
  EXPECT_FALSE(parse_problem(""));
}

}  // namespace fulcrum::acme::problem_test
