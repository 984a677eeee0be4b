// scheme: internal | internet-facing, in ELB's words. An internal listener serves clients from
// private networks only, judged as the access list judges them: on an accept_proxy_protocol
// listener, the client the PROXY header announces. Others are refused at accept (reset, no
// byte to the target) and counted; `fulcrum validate` refuses an internal listener bound to a
// public address; the API, the dashboard's data and `fulcrum ctl status` show each scheme.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace listener_scheme_test {

// Sends `line` and reads the echo; "" when the connection ends first (refused), which may be
// before the line went out.
std::string echoed(int fd, const std::string& line) {
  if (!send_all(fd, line)) return "";
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (out.size() < line.size() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char buffer[256];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

TEST(ListenerScheme, InternalServesClientsAnnouncedFromPrivateNetworksAndRefusesPublicOnes) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  const uint16_t port = free_port();
  const uint16_t open_port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 2\nshutdown_timeout: 2s\nlisteners:\n"
      "  - name: inside\n    listen: 127.0.0.1:" + std::to_string(port) +
          "\n    protocol: tcp\n    scheme: internal\n    accept_proxy_protocol: true\n    default: { forward: pool }\n"
          "  - { name: outside, listen: 127.0.0.1:" + std::to_string(open_port) +
          ", protocol: tcp, default: { forward: pool } }\n"
          "target_groups:\n  - { name: pool, targets: [ { address: " + backend.address() + " } ] }\n",
      port);
  auto through_proxy = [&](const std::string& header) {
    int fd = connect_to(port);
    // The header goes in the connection's first bytes, before any reset can come back.
    send_all(fd, header);
    return fd;
  };
  struct Case {
    const char* header;
    bool served;
  };
  const Case cases[] = {
      {"PROXY TCP4 10.20.30.40 127.0.0.1 40000 80\r\n", true},     // RFC 1918
      {"PROXY TCP6 ::1 ::1 40000 80\r\n", true},                   // loopback
      {"PROXY TCP4 100.64.1.2 127.0.0.1 40000 80\r\n", true},      // RFC 6598
      {"PROXY TCP6 fd00::7 fd00::1 40000 80\r\n", true},           // RFC 4193
      {"PROXY TCP4 203.0.113.9 127.0.0.1 40000 80\r\n", false},    // public
      {"PROXY TCP6 2001:db8::9 2001:db8::1 40000 80\r\n", false},  // public
  };
  for (const Case& c : cases) {
    int fd = through_proxy(c.header);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(echoed(fd, "ping\n"), c.served ? "ping\n" : "") << c.header;
    ::close(fd);
  }
  // The proxy's own connection came from 127.0.0.1: judged by what it announced, not by that.
  EXPECT_TRUE(fulcrum->wait_for_output("security.external_client listener=inside client=2001:db8::9", 3s, true))
      << fulcrum->errors();
  EXPECT_NE(fulcrum->errors().find("security.external_client listener=inside client=203.0.113.9"), std::string::npos);
  // The internet-facing listener beside it serves as before.
  int fd = connect_to(open_port);
  EXPECT_EQ(echoed(fd, "pong\n"), "pong\n");
  ::close(fd);

  const std::string admin = "http://" + admin_address(*fulcrum);
  auto metrics = curl({admin + "/metrics"}).out;
  EXPECT_NE(metrics.find("fulcrum_security_events_total{listener=\"inside\",event=\"external_client\"} 2\n"),
            std::string::npos)
      << metrics;
  auto listeners = nlohmann::json::parse(curl({admin + "/api/v1/listeners"}).out);
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(listeners[0]["scheme"], "internal");
  EXPECT_EQ(listeners[1]["scheme"], "internet-facing");
  // The dashboard page shows the column it reads from there.
  EXPECT_NE(curl({admin + "/"}).out.find("<th>scheme</th>"), std::string::npos);
}

TEST(ListenerScheme, ValidateRefusesAnInternalListenerOnAPublicAddress) {
  TempDir dir;
  const std::string path = dir.write(
      "fulcrum.yaml",
      "listeners:\n  - name: api\n    listen: 198.51.100.20:443\n    protocol: tcp\n    scheme: internal\n"
      "    default: { forward: g }\ntarget_groups:\n  - { name: g, targets: [ { address: 10.0.0.5:443 } ] }\n");
  Process validate({fulcrum_binary(), "validate", "-c", path}, dir.path(), "validate");
  EXPECT_EQ(validate.wait(10s), std::optional<int>(2));
  EXPECT_NE(validate.errors().find(path + ":5:13: listener 'api' is internal but listens on 198.51.100.20:443, a "
                                          "public address"),
            std::string::npos)
      << validate.errors();
}

// `fulcrum ctl status`: one screen with the build, the process, the listeners with their
// scheme, and the groups' health.
TEST(CtlStatus, OneScreenWithVersionUptimeListenersSchemesAndGroups) {
  TempDir dir;
  HttpBackend backend(dir, "one", {"--quiet"});
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 1\nlisteners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(port) +
          ", protocol: http, scheme: internal, default: { forward: be } }\ntarget_groups:\n"
          "  - name: be\n    health_check: { protocol: http, path: /, interval: 1s, healthy_threshold: 2 }\n"
          "    targets: [ { address: " + backend.address() + " } ]\n",
      port);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_TRUE(fulcrum->wait_for_output("health.transition group=be", 10s, true)) << fulcrum->errors();
  ASSERT_NE(fulcrum->errors().find("to=healthy"), std::string::npos) << fulcrum->errors();
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(fulcrum->wait_for_output("config.reloaded", 5s, true));
  auto status = run_captured({fulcrum_binary(), "ctl", "--admin", admin, "status"}, "/dev/null", true);
  ASSERT_EQ(status.exit_code, 0) << status.out;
  const std::string& out = status.out;
  EXPECT_EQ(out.rfind("fulcrum 0.1.0 (git ", 0), 0u) << out;
  EXPECT_NE(out.find("pid " + std::to_string(fulcrum->pid()) + ", up "), std::string::npos) << out;
  EXPECT_NE(out.find(", last reload "), std::string::npos) << out;
  EXPECT_NE(out.find(": ok\n"), std::string::npos) << out;
  EXPECT_NE(out.find("1 listeners, 1/1 targets healthy"), std::string::npos) << out;
  EXPECT_NE(out.find("LISTENER  LISTEN"), std::string::npos) << out;
  EXPECT_NE(out.find("internal"), std::string::npos) << out;
  EXPECT_NE(out.find("GROUP"), std::string::npos) << out;
  // One screen: fewer lines than a terminal has.
  EXPECT_LT(std::count(out.begin(), out.end(), '\n'), 24) << out;
  auto json_status = nlohmann::json::parse(curl({"http://" + admin + "/api/v1/status"}).out);
  EXPECT_EQ(json_status["pid"], fulcrum->pid());
  EXPECT_EQ(json_status["last_reload"]["ok"], true);
  EXPECT_TRUE(json_status["uptime"].is_string());
}

}  // namespace listener_scheme_test
}  // namespace fulcrum::testing
