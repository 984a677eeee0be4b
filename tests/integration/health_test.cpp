// Active health checks, passive ejection, draining and fail-open through the real binary, with
// real backend processes that answer 500, hang, are killed and come back. Intervals are 1 s
// (the smallest the configuration allows), so each test takes a few seconds.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

#include "harness.hpp"

namespace fulcrum::testing {
namespace {

using Clock = std::chrono::steady_clock;

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Waits until fulcrum's log holds `needle` after byte `from`; returns how long it took.
std::optional<std::chrono::milliseconds> wait_for_log(const Process& fulcrum, const std::string& needle, size_t from,
                                                      std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  for (;;) {
    std::string log = fulcrum.errors();
    if (log.size() > from && log.find(needle, from) != std::string::npos) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    }
    if (Clock::now() - start >= timeout) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// One HTTP request through a tcp listener: the name of the backend that answered, or "".
std::string get_via(uint16_t port, const std::string& path = "/traffic") {
  int fd = connect_to(port);
  // Not send_all: a listener with no target resets the connection at once, possibly before
  // the request is sent; that is the answer ("") and not a test failure.
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return "";
  }
  std::string response;
  auto deadline = Clock::now() + 3s;
  // The body is the backend's name and a newline.
  auto complete = [&] {
    auto head_end = response.find("\r\n\r\n");
    return head_end != std::string::npos && response.size() > head_end + 4 && response.back() == '\n';
  };
  while (!complete()) {
    std::string more = read_exact(fd, 1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (more.empty()) break;
    response += more;
  }
  ::close(fd);
  auto body = response.find("\r\n\r\n");
  if (body == std::string::npos) return "";
  std::string name = response.substr(body + 4);
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

std::string group_yaml(const std::string& name, const std::string& settings, const std::vector<std::string>& targets) {
  std::string yaml = "  - name: " + name + "\n" + settings + "    targets:\n";
  for (const auto& target : targets) yaml += "      - " + target + "\n";
  return yaml;
}

std::string listener_yaml(uint16_t port, const std::string& group, const std::string& name = "front") {
  return "  - name: " + name + "\n    listen: 127.0.0.1:" + std::to_string(port) +
         "\n    protocol: tcp\n    default: { forward: " + group + " }\n";
}

constexpr auto kInterval = 1000ms;
// Slack for scheduling on a loaded 2-core machine: process start, log polling, the 5 ms
// publish coalescing.
constexpr auto kSlack = 400ms;

TEST(HealthChecks, Http500MarksUnhealthyWithinThresholdIntervalsAndNoTrafficFollows) {
  TempDir dir;
  const std::string a_status = dir.path() + "/a.status";
  Backend a(dir, "a", "http", false, {"--status-file", a_status});
  Backend b(dir, "b", "http", false, {"--status-file", dir.path() + "/b.status"});
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 2\nlisteners:\n" + listener_yaml(port, "pool") + "target_groups:\n" +
          group_yaml("pool",
                     "    algorithm: round_robin\n    health_check: { protocol: http, path: /health, matcher: \"200-299\", "
                     "interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 3 }\n",
                     {a.address(), b.address()}),
      port);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address() + " from=initial to=healthy", 0, 3s));
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + b.address() + " from=initial to=healthy", 0, 3s));

  size_t mark = fulcrum->errors().size();
  write_file(a_status, "500");
  auto took = wait_for_log(*fulcrum, "target=" + a.address() + " from=healthy to=unhealthy", mark, 6s);
  ASSERT_TRUE(took) << fulcrum->errors();
  // Three failures in a row: the first within one interval of the change, then two more.
  EXPECT_GE(*took, 2 * kInterval - 100ms);
  EXPECT_LE(*took, 3 * kInterval + kSlack);
  EXPECT_NE(fulcrum->errors().find("code=Target.ResponseCodeMismatch reason=\"got 500, expected 200-299\"", mark),
            std::string::npos)
      << fulcrum->errors();
  std::this_thread::sleep_for(20ms);  // the snapshot reaches every worker's loop
  const int a_traffic = count_of(a.process.output(), "request GET /traffic");
  for (int i = 0; i < 20; ++i) EXPECT_EQ(get_via(port), "b");
  EXPECT_EQ(count_of(a.process.output(), "request GET /traffic"), a_traffic) << "a request went to an unhealthy target";

  mark = fulcrum->errors().size();
  write_file(a_status, "200");
  took = wait_for_log(*fulcrum, "target=" + a.address() + " from=unhealthy to=healthy", mark, 5s);
  ASSERT_TRUE(took) << fulcrum->errors();
  EXPECT_GE(*took, 1 * kInterval - 100ms);
  EXPECT_LE(*took, 2 * kInterval + kSlack);
  std::this_thread::sleep_for(20ms);
  int back = 0;
  for (int i = 0; i < 6; ++i) back += get_via(port) == "a";
  EXPECT_EQ(back, 3);  // round robin again over both
}

TEST(HealthChecks, KilledTargetIsUnhealthyAndHealthyAgainWhenItComesBack) {
  TempDir dir;
  auto a = std::make_unique<Backend>(dir, "a", "http");
  Backend b(dir, "b", "http");
  const uint16_t a_port = a->port;
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 1\nlisteners:\n" + listener_yaml(port, "pool") + "target_groups:\n" +
          group_yaml("pool",
                     "    health_check: { protocol: tcp, interval: 1s, healthy_threshold: 2, unhealthy_threshold: 2 }\n"
                     "    outlier_detection: { enabled: false }\n",
                     {a->address(), b.address()}),
      port);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a->address() + " from=initial to=healthy", 0, 3s));
  const std::string a_address = a->address();

  size_t mark = fulcrum->errors().size();
  a->process.signal(SIGKILL);
  a->process.wait(2s);
  auto took = wait_for_log(*fulcrum, "target=" + a_address + " from=healthy to=unhealthy", mark, 5s);
  ASSERT_TRUE(took) << fulcrum->errors();
  EXPECT_GE(*took, 1 * kInterval - 100ms);
  EXPECT_LE(*took, 2 * kInterval + kSlack);
  EXPECT_NE(fulcrum->errors().find("code=Target.FailedConnection reason=\"connection refused\"", mark), std::string::npos);
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(get_via(port), "b");

  mark = fulcrum->errors().size();
  a = std::make_unique<Backend>(dir, "a", "http", false, std::vector<std::string>{}, a_port);
  took = wait_for_log(*fulcrum, "target=" + a_address + " from=unhealthy to=healthy", mark, 5s);
  ASSERT_TRUE(took) << fulcrum->errors();
  EXPECT_GE(*took, 1 * kInterval - 100ms);
  EXPECT_LE(*took, 2 * kInterval + kSlack);
  std::this_thread::sleep_for(20ms);
  int to_a = 0;
  for (int i = 0; i < 6; ++i) to_a += get_via(port) == "a";
  EXPECT_GT(to_a, 0);
}

TEST(HealthChecks, HangingTargetTimesOut) {
  TempDir dir;
  const std::string a_status = dir.path() + "/a.status";
  Backend a(dir, "a", "http", false, {"--status-file", a_status});
  Backend b(dir, "b", "http");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 1\nlisteners:\n" + listener_yaml(port, "pool") + "target_groups:\n" +
          group_yaml("pool",
                     "    health_check: { protocol: http, interval: 1s, timeout: 300ms, unhealthy_threshold: 2 }\n",
                     {a.address(), b.address()}),
      port);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address() + " from=initial to=healthy", 0, 3s));
  size_t mark = fulcrum->errors().size();
  write_file(a_status, "hang");
  auto took = wait_for_log(*fulcrum, "target=" + a.address() + " from=healthy to=unhealthy", mark, 5s);
  ASSERT_TRUE(took) << fulcrum->errors();
  EXPECT_GE(*took, 1 * kInterval + 300ms - 100ms);
  EXPECT_LE(*took, 2 * kInterval + 300ms + kSlack);
  EXPECT_NE(fulcrum->errors().find("code=Target.Timeout reason=\"no answer within 300ms\"", mark), std::string::npos)
      << fulcrum->errors();
}

TEST(HealthChecks, FailOpenSendsToAllAndFailClosedRefuses) {
  TempDir dir;
  const std::string status = dir.path() + "/a.status";
  write_file(status, "503");
  Backend a(dir, "a", "http", false, {"--status-file", status});
  uint16_t open_port = free_port(), closed_port = free_port();
  const std::string check = "    health_check: { protocol: http, interval: 1s }\n";
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 1\nlisteners:\n" + listener_yaml(open_port, "open", "open") + listener_yaml(closed_port, "closed", "closed") +
          "target_groups:\n" + group_yaml("open", check, {a.address()}) +
          group_yaml("closed", check + "    fail_open: false\n", {a.address()}),
      open_port);
  ASSERT_TRUE(wait_for_log(*fulcrum, "health.no_healthy_target group=closed", 0, 3s)) << fulcrum->errors();
  ASSERT_TRUE(wait_for_log(*fulcrum, "health.fail_open group=open", 0, 3s)) << fulcrum->errors();
  EXPECT_EQ(count_of(fulcrum->errors(), "health.fail_open group=open"), 1);  // once per episode
  EXPECT_EQ(get_via(open_port), "a");   // sent anyway: the target answers (503)
  EXPECT_EQ(get_via(closed_port), "");  // refused: no target may take it
  EXPECT_NE(fulcrum->errors().find("reason=\"no eligible target in group closed\""), std::string::npos)
      << fulcrum->errors();
  size_t mark = fulcrum->errors().size();
  write_file(status, "200");
  // Each group checks its own targets (on its own schedule).
  ASSERT_TRUE(wait_for_log(*fulcrum, "health.healthy_again group=open", mark, 3s)) << fulcrum->errors();
  ASSERT_TRUE(wait_for_log(*fulcrum, "health.healthy_again group=closed", mark, 3s)) << fulcrum->errors();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(get_via(closed_port), "a");
}

}  // namespace
}  // namespace fulcrum::testing
