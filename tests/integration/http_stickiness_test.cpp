// Sticky sessions on an HTTP listener: lb_cookie (signed, expiring, set / honoured / tampered /
// expired / failover) and app_cookie, with curl and two real backends.
#include <signal.h>

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http_stickiness_test {

std::string sticky_config(uint16_t port, const std::vector<std::string>& targets, const std::string& stickiness) {
  std::string yaml = "workers: 2\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: http\n    default: { forward: app }\ntarget_groups:\n  - name: app\n"
                     "    algorithm: round_robin\n    stickiness: " + stickiness + "\n    targets:\n";
  for (const auto& t : targets) yaml += "      - { address: " + t + " }\n";
  return yaml;
}

struct Answer {
  std::string backend;     // who answered
  std::string set_cookie;  // the FULCRUM=... value Fulcrum set, empty if none
};

Answer ask(uint16_t port, const std::string& path, const std::string& cookies = "") {
  std::vector<std::string> args{"-i"};
  if (!cookies.empty()) {
    args.push_back("-b");
    args.push_back(cookies);
  }
  args.push_back("http://127.0.0.1:" + std::to_string(port) + path);
  auto r = curl(args);
  Answer a;
  auto at = r.out.find("X-Backend: ");
  if (at != std::string::npos) a.backend = r.out.substr(at + 11, r.out.find("\r\n", at) - at - 11);
  at = r.out.find("Set-Cookie: FULCRUM=");
  if (at != std::string::npos) a.set_cookie = r.out.substr(at + 20, r.out.find(';', at) - at - 20);
  return a;
}

TEST(HttpStickiness, LbCookieIsSetHonouredAndRejectedWhenTamperedOrExpired) {
  TempDir dir;
  HttpBackend one(dir, "one"), two(dir, "two");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, sticky_config(port, {one.address(), two.address()}, "{ type: lb_cookie, duration: 2s }"), port);
  Answer first = ask(port, "/");
  ASSERT_FALSE(first.set_cookie.empty());
  ASSERT_FALSE(first.backend.empty());
  // Honoured: every request with the cookie reaches the same target (round robin would alternate).
  for (int i = 0; i < 6; ++i) {
    Answer again = ask(port, "/", "FULCRUM=" + first.set_cookie);
    EXPECT_EQ(again.backend, first.backend) << i;
    EXPECT_TRUE(again.set_cookie.empty()) << "a valid cookie is not reissued";
  }
  // Without the cookie, round robin alternates: stickiness is the cookie's doing.
  std::map<std::string, int> seen;
  for (int i = 0; i < 4; ++i) seen[ask(port, "/").backend]++;
  EXPECT_EQ(seen.size(), 2u);
  // Tampered: ignored, and a fresh cookie is issued.
  std::string tampered = first.set_cookie;
  tampered[5] = tampered[5] == 'a' ? 'b' : 'a';
  std::map<std::string, int> tampered_seen;
  for (int i = 0; i < 4; ++i) {
    Answer t = ask(port, "/", "FULCRUM=" + tampered);
    EXPECT_FALSE(t.set_cookie.empty());
    tampered_seen[t.backend]++;
  }
  EXPECT_EQ(tampered_seen.size(), 2u);
  // Expired (duration 2s): ignored and reissued.
  std::this_thread::sleep_for(2100ms);
  Answer expired = ask(port, "/", "FULCRUM=" + first.set_cookie);
  EXPECT_FALSE(expired.set_cookie.empty());
  EXPECT_NE(expired.set_cookie, first.set_cookie);
}

TEST(HttpStickiness, LbCookieFailsOverWhenItsTargetIsGone) {
  TempDir dir;
  auto one = std::make_unique<HttpBackend>(dir, "one");
  HttpBackend two(dir, "two");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, sticky_config(port, {one->address(), two.address()}, "{ type: lb_cookie, duration: 1h }"), port);
  Answer a;
  for (int i = 0; i < 4 && a.backend != "one"; ++i) a = ask(port, "/");
  ASSERT_EQ(a.backend, "one");
  ASSERT_FALSE(a.set_cookie.empty());
  one.reset();  // the sticky target goes away
  Answer moved = ask(port, "/", "FULCRUM=" + a.set_cookie);
  EXPECT_EQ(moved.backend, "two");
  ASSERT_FALSE(moved.set_cookie.empty()) << "the client must learn its new target";
  EXPECT_EQ(ask(port, "/", "FULCRUM=" + moved.set_cookie).backend, "two");
}

TEST(HttpStickiness, AppCookieAffinityStartsWithTheApplicationsSession) {
  TempDir dir;
  HttpBackend one(dir, "one"), two(dir, "two");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, sticky_config(port, {one.address(), two.address()}, "{ type: app_cookie, cookie: JSESSIONID }"), port);
  // No application session yet: no cookie from Fulcrum.
  EXPECT_TRUE(ask(port, "/").set_cookie.empty());
  // The application sets JSESSIONID: Fulcrum pins the client to that target.
  Answer login = ask(port, "/set-cookie/JSESSIONID=abc123");
  ASSERT_FALSE(login.set_cookie.empty());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ask(port, "/", "JSESSIONID=abc123; FULCRUM=" + login.set_cookie).backend, login.backend) << i;
  }
}

}  // namespace http_stickiness_test
}  // namespace fulcrum::testing
