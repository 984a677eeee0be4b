// Admission and routing, decided by ExchangeDriver::admit() from a request head alone: no
// socket, no target, no I/O.
#include <gtest/gtest.h>

#include <chrono>

#include "exchange_fakes.hpp"
#include "http/exchange/sticky_cookie.hpp"

namespace fulcrum::http::testing {
namespace exchange_admission_test {

TEST(ExchangeAdmission, AnOrdinaryRequestIsForwardedToItsGroup) {
  Rig rig(forward_config({"127.0.0.1:1", "127.0.0.2:1"}));
  const auto a = rig.admit(kGet);
  EXPECT_EQ(a.admission.status, 0);
  EXPECT_EQ(a.group_index, 0);
  EXPECT_EQ(a.sticky_target, -1);
}

TEST(ExchangeAdmission, DesyncExpectAndBodyLimitsAnswerBeforeAnyTarget) {
  Rig rig(forward_config({"127.0.0.1:1"}, "", "    max_body_bytes: 100\n"));
  // Content-Length and Transfer-Encoding together: refused in the default (defensive) mode.
  auto both = rig.admit("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(both.admission.status, 400);
  EXPECT_TRUE(both.admission.close);
  EXPECT_EQ(both.group_index, -1);
  EXPECT_EQ(rig.admit("GET /a HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n").admission.status, 417);
  EXPECT_EQ(rig.admit("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n").admission.status, 413);
  // A malformed chunked body behind a valid head: refused from the bytes that came with it.
  const auto bad_chunk = rig.admit("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_EQ(bad_chunk.admission.status, 400);
  EXPECT_FALSE(bad_chunk.admission.consume);  // refusals close: nothing more is read
  EXPECT_EQ(rig.admit("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n").admission.status, 0);
}

TEST(ExchangeAdmission, TheWafBlocksOnTheHeadWith403) {
  Rig rig(forward_config({"127.0.0.1:1"}, "",
                         "    security:\n      waf:\n        - { id: no-traversal, pattern: '\\.\\./', targets: [path, query] }\n"));
  const auto blocked = rig.admit("GET /files/../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(blocked.admission.status, 403);
  EXPECT_FALSE(blocked.admission.close);  // the whole request was read: the connection goes on
  EXPECT_TRUE(blocked.admission.consume);
  EXPECT_EQ(blocked.group_index, -1);
  EXPECT_EQ(rig.admit("GET /files/a HTTP/1.1\r\nHost: x\r\n\r\n").admission.status, 0);
}

TEST(ExchangeAdmission, TheRequestRateAnswers429WithRetryAfter) {
  Rig rig(forward_config({"127.0.0.1:1"}, "", "    security:\n      rate_limit: { requests_per_second: 1, burst: 1 }\n"),
          /*with_guards=*/true);
  EXPECT_EQ(rig.admit(kGet).admission.status, 0);
  const auto limited = rig.admit(kGet);
  EXPECT_EQ(limited.admission.status, 429);
  EXPECT_EQ(limited.admission.extra_headers(), "Retry-After: 1\r\n");
  EXPECT_EQ(limited.group_index, -1);
}

const std::string kRules = R"(listeners:
  - name: web
    listen: 127.0.0.1:1
    protocol: http
    rules:
      - name: to-https
        match: { host: old.example.com }
        redirect: { status: 301, scheme: https, host: "www.example.com", path: "/new#{path}" }
      - name: health
        match: { path: /healthz }
        fixed_response: { status: 200, content_type: text/plain, body: "ok\n" }
      - name: split
        match: { path: /split/* }
        forward: [ { group: stable, weight: 3 }, { group: canary, weight: 1 } ]
    default: { forward: stable }
target_groups:
  - name: stable
    targets: [ { address: 127.0.0.1:1 } ]
  - name: canary
    targets: [ { address: 127.0.0.2:1 } ]
)";

TEST(ExchangeAdmission, RedirectsCarryTheirLocation) {
  Rig rig(kRules);
  const auto moved = rig.admit("GET /old?q=1 HTTP/1.1\r\nHost: old.example.com\r\n\r\n");
  EXPECT_EQ(moved.admission.status, 301);
  EXPECT_EQ(moved.admission.extra_headers(), "Location: https://www.example.com/new/old?q=1\r\n");
  EXPECT_FALSE(moved.admission.close);
}

TEST(ExchangeAdmission, FixedResponsesNameTheirContent) {
  Rig rig(kRules);
  const auto health = rig.admit("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(health.admission.status, 200);
  ASSERT_NE(health.admission.fixed, nullptr);
  EXPECT_EQ(health.admission.fixed->body, "ok\n");
  EXPECT_EQ(health.group_index, -1);
}

TEST(ExchangeAdmission, AWeightedSplitSendsItsShareToEachGroup) {
  Rig rig(kRules);
  int stable = 0;
  int canary = 0;
  for (int i = 0; i < 40; ++i) {
    const auto a = rig.admit("GET /split/x HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(a.admission.status, 0);
    (a.group_index == 0 ? stable : canary)++;
  }
  EXPECT_EQ(stable, 30);
  EXPECT_EQ(canary, 10);
  EXPECT_EQ(rig.admit(kGet).group_index, 0);  // the default action
}

TEST(ExchangeAdmission, AValidStickinessCookieNamesItsTarget) {
  Rig rig(forward_config({"127.0.0.1:1", "127.0.0.2:1", "127.0.0.3:1"}, "    stickiness: { type: lb_cookie, duration: 1h }\n"));
  const auto& group = rig.group(0);
  ASSERT_TRUE(rig.http().sticky[0].has_value());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  char value[StickyCookie::kMaxValue];
  const uint64_t key = group.pickers->targets().targets[2].key;
  const std::string cookie(value, rig.http().sticky[0]->issue(group.name(), key, now + 3600, value));

  const auto sticky = rig.admit("GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; FULCRUM=" + cookie + "\r\n\r\n");
  EXPECT_EQ(sticky.admission.status, 0);
  EXPECT_EQ(sticky.sticky_target, 2);
  EXPECT_FALSE(sticky.issue_cookie);

  std::string tampered = cookie;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  const auto fresh = rig.admit("GET / HTTP/1.1\r\nHost: x\r\nCookie: FULCRUM=" + tampered + "\r\n\r\n");
  EXPECT_EQ(fresh.sticky_target, -1);
  EXPECT_TRUE(fresh.issue_cookie);  // lb_cookie: a new one goes with the response

  const auto none = rig.admit("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(none.sticky_target, -1);
  EXPECT_TRUE(none.issue_cookie);
}

TEST(ExchangeAdmission, IpHashOnAHeaderHashesItsValue) {
  Rig rig(forward_config({"127.0.0.1:1", "127.0.0.2:1"}, "    hash_key: header:X-User\n", "", "ip_hash"));
  const auto a = rig.admit("GET / HTTP/1.1\r\nHost: x\r\nX-User: alice\r\n\r\n");
  const auto b = rig.admit("GET / HTTP/1.1\r\nHost: x\r\nX-User: alice\r\n\r\n");
  const auto c = rig.admit("GET / HTTP/1.1\r\nHost: x\r\nX-User: bob\r\n\r\n");
  ASSERT_TRUE(a.pick_hash.has_value());
  EXPECT_EQ(a.pick_hash, b.pick_hash);
  EXPECT_NE(a.pick_hash, c.pick_hash);
}

}  // namespace exchange_admission_test
}  // namespace fulcrum::http::testing
