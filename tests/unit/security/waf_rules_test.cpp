#include "security/waf_rules.hpp"

#include <gtest/gtest.h>

namespace fulcrum::security {
namespace waf_rules_test {

config::Security with_defaults() {
  config::Security security;
  security.waf_default_rules = true;
  return security;
}

struct Request {
  std::string path;
  std::string query;
  std::string user_agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0";
  std::string body;
};

// The id of the blocking rule that fires, or "" when none does.
std::string blocked_by(WafRules& rules, const Request& r) {
  WafVerdict verdict;
  rules.inspect_path(r.path, verdict);
  rules.inspect_query(r.query, verdict);
  rules.inspect_header("User-Agent", r.user_agent, verdict);
  rules.inspect_header("Accept", "text/html", verdict);
  rules.inspect_body(r.body, verdict);
  return verdict.block != nullptr ? verdict.block->id : "";
}

TEST(DefaultWafRules, EveryPatternCompiles) {
  for (const auto& rule : default_waf_rules()) {
    RE2 compiled(rule.pattern, RE2::Quiet);
    EXPECT_TRUE(compiled.ok()) << rule.id << ": " << compiled.error();
  }
}

TEST(DefaultWafRules, EachRuleBlocksItsExampleAttacks) {
  WafRules rules(with_defaults());
  const std::vector<std::pair<std::string, Request>> attacks = {
      {"fulcrum-path-traversal", {"/static/../../etc/hosts", ""}},
      {"fulcrum-path-traversal", {"/static/%2e%2e/%2e%2e/etc/hosts", ""}},
      {"fulcrum-path-traversal", {"/static/%252e%252e%252fsecret", ""}},
      {"fulcrum-path-traversal", {"/download", "file=..%5c..%5cwindows%5cwin.ini"}},
      {"fulcrum-sensitive-file", {"/.git/config", ""}},
      {"fulcrum-sensitive-file", {"/.env", ""}},
      {"fulcrum-sensitive-file", {"/blog/wp-config.php", ""}},
      {"fulcrum-sensitive-file", {"/view", "page=/etc/passwd"}},
      {"fulcrum-sqli", {"/items", "id=1%20UNION%20SELECT%20username,password%20FROM%20users"}},
      {"fulcrum-sqli", {"/items", "id=1+union+all+select+1,2,3"}},
      {"fulcrum-sqli", {"/login", "user=admin'%20OR%20'1'='1"}},
      {"fulcrum-sqli", {"/login", "user=admin'--"}},
      {"fulcrum-sqli", {"/items", "id=1;%20SELECT%20pg_sleep(5)"}},
      {"fulcrum-sqli", {"/items", "id=1'%3B%20DROP%20TABLE%20users"}},
      {"fulcrum-sqli", {"/login", "", "curl/8", "user=x' or 1=1 --&pass=y"}},
      {"fulcrum-xss", {"/search", "q=%3Cscript%3Ealert(1)%3C/script%3E"}},
      {"fulcrum-xss", {"/search", "q=<img src=x onerror=alert(1)>"}},
      {"fulcrum-xss", {"/go", "to=javascript:alert(document.cookie)"}},
      {"fulcrum-xss", {"/comment", "", "curl/8", "text=%3Ciframe%20src%3D//evil%3E"}},
      {"fulcrum-scanner", {"/", "", "sqlmap/1.7.2#stable (https://sqlmap.org)"}},
      {"fulcrum-scanner", {"/", "", "Mozilla/5.00 (Nikto/2.1.6)"}},
      {"fulcrum-scanner", {"/", "", "Mozilla/5.0 (compatible; Nuclei - Open-source project)"}},
  };
  for (const auto& [rule, request] : attacks) {
    EXPECT_EQ(blocked_by(rules, request), rule) << request.path << "?" << request.query << " UA=" << request.user_agent
                                                << " body=" << request.body;
  }
}

TEST(DefaultWafRules, BenignRequestsPass) {
  WafRules rules(with_defaults());
  const std::vector<Request> benign = {
      {"/", ""},
      {"/index.html", ""},
      {"/static/app.3f2a1c.js", ""},
      {"/docs/v1.2/guide", ""},
      {"/files/report..final.pdf", ""},       // two dots not followed by a slash
      {"/a/./b/file.txt", ""},
      {"/.well-known/acme-challenge/token", ""},
      {"/environment/settings", ""},           // not /.env
      {"/search", "q=union+station+select+menu"},  // words, not UNION SELECT
      {"/search", "q=rock+%26+roll"},
      {"/search", "q=O'Brien"},                // a quote alone
      {"/search", "q=it's+1+or+2"},
      {"/search", "q=sleep+well"},
      {"/search", "q=how+to+write+a+script+tag"},
      {"/search", "q=javascript+tutorial"},
      {"/api/items", "sort=-created&page=2&per_page=50"},
      {"/login", "", "Mozilla/5.0", "user=alice&password=p%40ss%27word"},
      {"/comment", "", "Mozilla/5.0", "{\"text\":\"I <3 this, see online-docs\"}"},
      {"/", "", "curl/8.5.0"},
      {"/", "", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15"},
      {"/", "", "Googlebot/2.1 (+http://www.google.com/bot.html)"},
  };
  for (const auto& request : benign) {
    EXPECT_EQ(blocked_by(rules, request), "") << request.path << "?" << request.query << " UA=" << request.user_agent
                                              << " body=" << request.body;
  }
}

TEST(WafRules, OwnRulesSearchOnlyTheirTargetsAndLogOnlyRulesDoNotBlock) {
  config::Security security;
  config::WafRule secret;
  secret.id = "no-admin";
  secret.pattern = "^/admin";
  secret.targets = {"path"};
  config::WafRule token;
  token.id = "watch-token";
  token.pattern = "(?i)debug";
  token.targets = {"header:X-Debug", "query"};
  token.action = config::WafRule::ActionKind::log;
  security.waf = {secret, token};
  WafRules rules(security);
  EXPECT_EQ(rules.rule_count(), 2u);
  EXPECT_FALSE(rules.inspects_body());

  WafVerdict verdict;
  rules.inspect_path("/admin/users", verdict);
  ASSERT_NE(verdict.block, nullptr);
  EXPECT_EQ(verdict.block->id, "no-admin");

  WafVerdict query_only;
  rules.inspect_query("q=/admin", query_only);  // no-admin searches the path only
  rules.inspect_header("x-debug", "DEBUG=1", query_only);
  EXPECT_EQ(query_only.block, nullptr);
  ASSERT_NE(query_only.log, nullptr);
  EXPECT_EQ(query_only.log->id, "watch-token");

  WafVerdict other_header;
  rules.inspect_header("X-Other", "debug", other_header);
  EXPECT_FALSE(other_header.matched());
}

TEST(WafRules, BodyIsSearchedOnlyUpToItsLimit) {
  config::Security security;
  config::WafRule rule;
  rule.id = "evil";
  rule.pattern = "evil";
  rule.targets = {"body"};
  security.waf = {rule};
  security.waf_body_bytes = 16;
  WafRules rules(security);
  WafVerdict early;
  rules.inspect_body("0123456789 evil and more", early);
  EXPECT_NE(early.block, nullptr);
  WafVerdict late;
  rules.inspect_body("0123456789abcdef evil", late);
  EXPECT_EQ(late.block, nullptr);
}

}  // namespace waf_rules_test
}  // namespace fulcrum::security
