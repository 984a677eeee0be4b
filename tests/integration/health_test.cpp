// Active health checks, passive ejection, draining and fail-open through the real binary, with
// real backend processes that answer 500, hang, are killed and come back. Intervals are 1 s
// (the smallest the configuration allows), so each test takes a few seconds.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent_host.hpp"
#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace health_test {

using Clock = std::chrono::steady_clock;

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

std::string listener_yaml(uint16_t port, const std::string& group, const std::string& name = "front",
                          const std::string& protocol = "tcp") {
  return "  - name: " + name + "\n    listen: 127.0.0.1:" + std::to_string(port) + "\n    protocol: " + protocol +
         "\n    default: { forward: " + group + " }\n";
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

// Connects until `count` sessions to the backend named `name` are open; returns them.
std::vector<int> sessions_to(uint16_t port, const std::string& name, size_t count) {
  std::vector<int> kept;
  for (int i = 0; i < 20 && kept.size() < count; ++i) {
    int fd = connect_to(port);
    std::string who = read_line(fd);
    if (who == name + "\n") {
      kept.push_back(fd);
    } else {
      ::close(fd);
    }
  }
  return kept;
}

std::string who_answers(uint16_t port) {
  int fd = connect_to(port);
  std::string name = read_line(fd);
  ::close(fd);
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

std::string two_target_config(uint16_t port, const std::string& a, const std::string& b, const std::string& settings) {
  std::vector<std::string> targets{a};
  if (!b.empty()) targets.push_back(b);
  return "workers: 2\nlisteners:\n" + listener_yaml(port, "pool") + "target_groups:\n" +
         group_yaml("pool", "    algorithm: round_robin\n" + settings, targets);
}

TEST(Draining, OpenConnectionsGoOnNewOnesGoElsewhereAndTheDelayEndsThem) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  const std::string settings = "    deregistration_delay: 2s\n";
  auto fulcrum = start_fulcrum(dir, two_target_config(port, a.address(), b.address(), settings), port);
  auto open = sessions_to(port, "a", 2);
  ASSERT_EQ(open.size(), 2u);

  dir.write("fulcrum.yaml", two_target_config(port, b.address(), "", settings));
  fulcrum->signal(SIGHUP);
  const auto reloaded = Clock::now();
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address() + " from=healthy to=draining code=Target.DeregistrationInProgress", 0, 3s))
      << fulcrum->errors();
  // Open connections keep working...
  send_all(open[0], "still here\n");
  EXPECT_EQ(read_line(open[0]), "still here\n");
  // ...no new one arrives (once the workers' loops have installed the snapshot)...
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(who_answers(port), "b");
  // ...one ends by itself, the other is closed when the delay runs out.
  ::close(open[1]);
  auto ended = wait_for_log(*fulcrum, "health.deregistered group=pool target=" + a.address() + " closed_connections=1", 0, 4s);
  ASSERT_TRUE(ended) << fulcrum->errors();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - reloaded);
  EXPECT_GE(after, 1900ms);
  EXPECT_LE(after, 2000ms + kSlack);
  EXPECT_TRUE(closed_within(open[0], 1s));
  ::close(open[0]);
  EXPECT_TRUE(fulcrum->wait_for_output("close=deregistered", 5s)) << fulcrum->output();
}

TEST(Draining, EndsWhenTheLastConnectionCloses) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  const std::string settings = "    deregistration_delay: 5m\n";
  auto fulcrum = start_fulcrum(dir, two_target_config(port, a.address(), b.address(), settings), port);
  auto open = sessions_to(port, "a", 1);
  ASSERT_EQ(open.size(), 1u);
  dir.write("fulcrum.yaml", two_target_config(port, b.address(), "", settings));
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(wait_for_log(*fulcrum, "to=draining", 0, 3s)) << fulcrum->errors();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(fulcrum->errors().find("health.deregistered"), std::string::npos);  // still open: still draining
  ::close(open[0]);
  auto ended = wait_for_log(*fulcrum, "health.deregistered group=pool target=" + a.address() + " closed_connections=0", 0, 1s);
  EXPECT_TRUE(ended) << fulcrum->errors();
}

TEST(OutlierDetection, EjectsOnTrafficFailuresComesBackAndTheCapHolds) {
  TempDir dir;
  auto a = std::make_unique<Backend>(dir, "a", "greet");
  auto b = std::make_unique<Backend>(dir, "b", "greet");
  Backend c(dir, "c", "greet");
  const uint16_t a_port = a->port, b_port = b->port;
  const std::string a_address = a->address(), b_address = b->address();
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 1\nlisteners:\n" + listener_yaml(port, "pool") + "target_groups:\n" +
          group_yaml("pool",
                     "    algorithm: round_robin\n    max_connect_attempts: 3\n"
                     "    outlier_detection: { consecutive_failures: 3, base_ejection_time: 1s, max_ejection_percent: 34 }\n",
                     {a_address, b_address, c.address()}),
      port);
  a->process.signal(SIGKILL);
  b->process.signal(SIGKILL);
  a->process.wait(2s);
  b->process.wait(2s);
  // Real traffic: every client still gets through (retries), while a and b collect failures.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(who_answers(port), "c");
  ASSERT_TRUE(wait_for_log(*fulcrum, "code=Target.OutlierEjected", 0, 2s)) << fulcrum->errors();
  ASSERT_TRUE(wait_for_log(*fulcrum, "health.ejection_capped", 0, 2s)) << fulcrum->errors();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(who_answers(port), "c");
  std::this_thread::sleep_for(200ms);
  // 34 % of 3 targets is one: the other dead one stays in (and costs retries), never ejected.
  EXPECT_EQ(count_of(fulcrum->errors(), "code=Target.OutlierEjected"), 1) << fulcrum->errors();
  const bool a_ejected = fulcrum->errors().find("target=" + a_address + " from=healthy to=unhealthy code=Target.OutlierEjected") !=
                         std::string::npos;
  const std::string ejected = a_ejected ? "a" : "b";

  // Both come back; traffic ends the capped one's failure streak, the ejected one returns
  // by itself after base_ejection_time and takes traffic again.
  a = std::make_unique<Backend>(dir, "a", "greet", false, std::vector<std::string>{}, a_port);
  b = std::make_unique<Backend>(dir, "b", "greet", false, std::vector<std::string>{}, b_port);
  for (int i = 0; i < 6; ++i) EXPECT_NE(who_answers(port), ejected);
  ASSERT_TRUE(wait_for_log(*fulcrum, "to=healthy code=Target.EjectionEnded", 0, 3s)) << fulcrum->errors();
  std::this_thread::sleep_for(20ms);
  int to_ejected = 0;
  for (int i = 0; i < 6; ++i) to_ejected += who_answers(port) == ejected;
  EXPECT_EQ(to_ejected, 2);
  EXPECT_EQ(count_of(fulcrum->errors(), "code=Target.OutlierEjected"), 1) << fulcrum->errors();
}

// A backend and a `fulcrum agent` on one loopback address (127.0.0.x), as on a real host.
struct HostWithAgent : AgentHost {
  HostWithAgent(const TempDir& dir, const std::string& name, const std::string& ip, uint16_t agent_port)
      : AgentHost(dir, name, ip, agent_port) {
    backend = std::make_unique<Process>(
        std::vector<std::string>{build_path("test_backend"), "--listen", ip + ":0", "--name", name, "--mode", "greet"},
        dir.path(), "backend-" + name);
    EXPECT_TRUE(backend->wait_for_output("listening"));
    std::string out = backend->output();
    address = ip + ":" + std::to_string(std::stoi(out.substr(out.find("listening ") + 10)));
  }
  std::string address;
  std::unique_ptr<Process> backend;
};

TEST(Agent, AnswersTheAgentProtocolWithHostFigures) {
  TempDir dir;
  uint16_t agent_port = free_port();
  HostWithAgent host(dir, "h", "127.0.0.1", agent_port);
  host.set_memory_percent(62);
  std::this_thread::sleep_for(300ms);  // a sample or two
  int fd = connect_to(agent_port);
  EXPECT_EQ(read_to_eof(fd), "up 38% cpu:0 mem:62\n");
  ::close(fd);
  EXPECT_EQ(host.set_state("drain"), 0);
  fd = connect_to(agent_port);
  EXPECT_EQ(read_to_eof(fd), "drain 38% cpu:0 mem:62\n");
  ::close(fd);
}

TEST(Agent, ReportedLoadShiftsResourceBasedTrafficAndDrainDrains) {
  TempDir dir;
  uint16_t agent_port = free_port();
  HostWithAgent a(dir, "a", "127.0.0.2", agent_port), b(dir, "b", "127.0.0.3", agent_port);
  a.set_memory_percent(80);
  b.set_memory_percent(10);
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 2\nlisteners:\n" + listener_yaml(port, "pool") + "target_groups:\n" +
          group_yaml("pool",
                     "    algorithm: resource_based\n    health_check: { protocol: tcp, interval: 1s, agent_port: " +
                         std::to_string(agent_port) + " }\n",
                     {a.address, b.address}),
      port);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address + " from=initial to=healthy", 0, 3s)) << fulcrum->errors();
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + b.address + " from=initial to=healthy", 0, 3s)) << fulcrum->errors();
  // Batches of 20 until 19 go to `expected`: the agents sample every 100 ms and Fulcrum asks them
  // every second, so a change reaches the picks within about a second (more on a loaded machine).
  auto batch_goes_to = [&](const std::string& expected) {
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + 8s;
    while (std::chrono::steady_clock::now() < deadline) {
      int to_expected = 0;
      seen.clear();
      for (int i = 0; i < 20; ++i) {
        const std::string who = who_answers(port);
        seen += who + " ";
        to_expected += who == expected;
      }
      if (to_expected >= 19) return std::string();
      std::this_thread::sleep_for(200ms);
    }
    return seen;
  };
  // 10 % loaded beats 80 %.
  EXPECT_EQ(batch_goes_to("b"), "") << fulcrum->errors();
  a.set_memory_percent(10);
  b.set_memory_percent(80);
  EXPECT_EQ(batch_goes_to("a"), "") << fulcrum->errors();

  size_t mark = fulcrum->errors().size();
  ASSERT_EQ(a.set_state("drain"), 0);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address + " from=healthy to=draining code=Target.AgentDrain", mark, 3s))
      << fulcrum->errors();
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(who_answers(port), "b");  // drained, even though b is busier

  mark = fulcrum->errors().size();
  ASSERT_EQ(a.set_state("down"), 0);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address + " from=draining to=unhealthy code=Target.AgentDown", mark, 3s))
      << fulcrum->errors();
  ASSERT_EQ(a.set_state("up"), 0);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address + " from=unhealthy to=healthy", mark, 3s)) << fulcrum->errors();
}

// A plain HTTP target waits for a request head that a TLS ClientHello never completes: the
// https check times out on it.
TEST(HealthChecks, HttpsCheckSpeaksTlsAndAPlainTargetFailsIt) {
  TempDir dir;
  Process make_cert({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-subj", "/CN=localhost", "-days", "1", "-keyout", dir.path() + "/key.pem", "-out",
                     dir.path() + "/cert.pem"},
                    dir.path(), "openssl-req");
  ASSERT_EQ(make_cert.wait(20s), 0) << make_cert.errors();
  const uint16_t tls_port = free_port();
  Process tls_target({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(tls_port), "-cert",
                      dir.path() + "/cert.pem", "-key", dir.path() + "/key.pem", "-www"},
                     dir.path(), "s_server");
  ASSERT_TRUE(tls_target.wait_for_output("ACCEPT", 5s)) << tls_target.errors();
  Backend plain(dir, "plain", "http");
  const std::string tls_address = "127.0.0.1:" + std::to_string(tls_port);
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 1\nlisteners:\n" + listener_yaml(port, "secure") + "target_groups:\n" +
          group_yaml("secure", "    health_check: { protocol: https, host: localhost, interval: 1s, timeout: 800ms }\n",
                     {tls_address, plain.address()}),
      port);
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + tls_address + " from=initial to=healthy code=Elb.HealthChecksPassed reason=\"first check passed (answered 200)\"", 0, 3s))
      << fulcrum->errors();
  ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + plain.address() + " from=initial to=unhealthy code=Target.Timeout", 0, 3s))
      << fulcrum->errors();
}

// One target as GET /api/v1/target-groups/GROUP shows it (null when it is not there).
nlohmann::json admin_target(const std::string& admin, const std::string& group, const std::string& address) {
  const auto port = static_cast<uint16_t>(std::stoi(admin.substr(admin.rfind(':') + 1)));
  const std::string response = raw_exchange(
      port, "GET /api/v1/target-groups/" + group + " HTTP/1.1\r\nHost: " + admin + "\r\nConnection: close\r\n\r\n", 2s);
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return nullptr;
  auto parsed = nlohmann::json::parse(response.substr(body + 4), nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("targets")) return nullptr;
  for (const auto& target : parsed["targets"]) {
    if (target["address"] == address) return target;
  }
  return nullptr;
}

// An http listener (5xx answers count as failures on traffic) in front of two http targets,
// checked every second with thresholds 2, ejected after 3 failures in a row for 30 s: far
// longer than any of these tests, so only an active recovery can bring a target back early.
std::string active_and_passive_config(uint16_t port, const std::string& a, const std::string& b) {
  return "workers: 2\nlisteners:\n" + listener_yaml(port, "pool", "front", "http") + "target_groups:\n" +
         group_yaml("pool",
                    "    algorithm: round_robin\n"
                    "    health_check: { protocol: http, path: /health, interval: 1s, timeout: 500ms, "
                    "healthy_threshold: 2, unhealthy_threshold: 2 }\n"
                    "    outlier_detection: { consecutive_failures: 3, base_ejection_time: 30s, max_ejection_percent: 50 }\n",
                    {a, b});
}

// Where both tests start: fulcrum in front of a and b (active_and_passive_config), both
// healthy; then a's status file says 500, and real traffic (every other request goes to a)
// ejects it at once.
struct EjectedByTraffic {
  // gray: a's /health answers from its own file, which says 200 whatever a_status says.
  explicit EjectedByTraffic(bool gray)
      : a(dir, "a", "http", false,
          gray ? std::vector<std::string>{"--status-file", a_status, "--health-status-file", dir.write("a.health", "200")}
               : std::vector<std::string>{"--status-file", a_status}),
        b(dir, "b", "http") {}

  void eject_a() {
    port = free_port();
    fulcrum = start_fulcrum(dir, active_and_passive_config(port, a.address(), b.address()), port);
    admin = admin_address(*fulcrum);
    ASSERT_FALSE(admin.empty()) << fulcrum->errors();
    ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + a.address() + " from=initial to=healthy", 0, 3s)) << fulcrum->errors();
    ASSERT_TRUE(wait_for_log(*fulcrum, "target=" + b.address() + " from=initial to=healthy", 0, 3s)) << fulcrum->errors();
    mark = fulcrum->errors().size();
    write_file(a_status, "500");
    for (int i = 0; i < 12; ++i) get_via(port);
    ASSERT_TRUE(wait_for_log(*fulcrum,
                             "target=" + a.address() + " from=healthy to=unhealthy code=Target.OutlierEjected", mark, 2s))
        << fulcrum->errors();
  }

  TempDir dir;
  const std::string a_status = dir.path() + "/a.status";
  Backend a, b;
  uint16_t port = 0;
  std::unique_ptr<Process> fulcrum;
  std::string admin;  // HOST:PORT of the admin API
  size_t mark = 0;    // fulcrum's log before a failed
};

TEST(HealthChecks, ActiveRecoveryEndsAPassiveEjection) {
  // a fails everything: traffic ejects it, then its checks fail too.
  EjectedByTraffic t(false);
  ASSERT_NO_FATAL_FAILURE(t.eject_a());
  ASSERT_TRUE(wait_for_log(*t.fulcrum,
                           "target=" + t.a.address() + " from=unhealthy to=unhealthy code=Target.ResponseCodeMismatch",
                           t.mark, 2 * kInterval + 2s))
      << t.fulcrum->errors();
  nlohmann::json seen = admin_target(t.admin, "pool", t.a.address());
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["state"], "unhealthy");
  EXPECT_EQ(seen["reason_code"], "Target.ResponseCodeMismatch");  // the active checks decide
  EXPECT_EQ(seen["active"]["state"], "unhealthy") << seen.dump();
  EXPECT_EQ(seen["active"]["reason_code"], "Target.ResponseCodeMismatch") << seen.dump();
  EXPECT_EQ(seen["passive"]["ejected"], true) << seen.dump();
  EXPECT_EQ(seen["passive"]["reason_code"], "Target.OutlierEjected") << seen.dump();
  EXPECT_NE(seen["passive"]["reason"].dump().find("ejected for 30s"), std::string::npos) << seen.dump();
  const auto& passive = seen["passive"];
  if (passive["until_unix_ms"].is_number() && passive["since_unix_ms"].is_number()) {
    EXPECT_GT(passive["until_unix_ms"].get<int64_t>() - passive["since_unix_ms"].get<int64_t>(), 29000);
  } else {
    ADD_FAILURE() << "no passive.until_unix_ms/since_unix_ms: " << seen.dump();
  }

  // a recovers. Its checks see it within an interval and pass healthy_threshold times in a
  // row; the ejection (28 s left) must not outlive them.
  const int traffic_before = count_of(t.a.process.output(), "request GET /traffic");
  t.mark = t.fulcrum->errors().size();
  write_file(t.a_status, "200");
  const auto recovered = Clock::now();
  const auto deadline = recovered + 2 * kInterval + kInterval + 1s;
  while (count_of(t.a.process.output(), "request GET /traffic") == traffic_before && Clock::now() < deadline) {
    get_via(t.port);
    std::this_thread::sleep_for(20ms);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - recovered);
  ASSERT_GT(count_of(t.a.process.output(), "request GET /traffic"), traffic_before)
      << "a got no traffic within " << took.count() << " ms of recovering\n"
      << t.fulcrum->errors();
  std::printf("[ measured ] recovery to traffic on a: %lld ms (bound %lld ms)\n", static_cast<long long>(took.count()),
              static_cast<long long>((3 * kInterval + 1s).count()));
  RecordProperty("recovery_to_traffic_ms", static_cast<int>(took.count()));
  EXPECT_LE(took, 2 * kInterval + kInterval + 1s);

  // The transition says why the ejection ended; the API shows both sources.
  EXPECT_TRUE(wait_for_log(*t.fulcrum,
                           "target=" + t.a.address() + " from=unhealthy to=healthy code=Elb.HealthChecksPassed", t.mark, 1s))
      << t.fulcrum->errors();
  EXPECT_NE(t.fulcrum->errors().find("this recovery cleared the outlier ejection", t.mark), std::string::npos)
      << t.fulcrum->errors();
  seen = admin_target(t.admin, "pool", t.a.address());
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["state"], "healthy");
  EXPECT_EQ(seen["active"]["state"], "healthy") << seen.dump();
  EXPECT_EQ(seen["passive"]["ejected"], false) << seen.dump();
  EXPECT_EQ(seen["passive"]["reason_code"], "Target.EjectionCleared") << seen.dump();
  EXPECT_TRUE(seen["passive"]["until"].is_null()) << seen.dump();
  // Round robin over both again (each of the two workers alternates on its own).
  int to_a = 0;
  for (int i = 0; i < 6; ++i) to_a += get_via(t.port) == "a";
  EXPECT_GE(to_a, 2);
  EXPECT_LE(to_a, 4);
}

TEST(HealthChecks, GrayFailurePassingItsChecksStaysEjected) {
  // /health keeps answering 200 while the application answers 500.
  EjectedByTraffic t(true);
  ASSERT_NO_FATAL_FAILURE(t.eject_a());

  // Three more checks, each passing: none of them ends the ejection, and a gets no traffic.
  const int traffic = count_of(t.a.process.output(), "request GET /traffic");
  const int checks = count_of(t.a.process.output(), "request GET /health");
  const auto deadline = Clock::now() + 3 * kInterval + 2s;
  while (count_of(t.a.process.output(), "request GET /health") < checks + 3 && Clock::now() < deadline) {
    EXPECT_EQ(get_via(t.port), "b");
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(count_of(t.a.process.output(), "request GET /health"), checks + 3) << t.a.process.output();
  EXPECT_EQ(count_of(t.a.process.output(), "request GET /health status=200"),
            count_of(t.a.process.output(), "request GET /health"));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(get_via(t.port), "b");
  EXPECT_EQ(count_of(t.a.process.output(), "request GET /traffic"), traffic) << "an ejected gray failure got traffic";

  nlohmann::json seen = admin_target(t.admin, "pool", t.a.address());
  ASSERT_TRUE(seen.is_object());
  EXPECT_EQ(seen["state"], "unhealthy");
  EXPECT_EQ(seen["reason_code"], "Target.OutlierEjected");
  EXPECT_EQ(seen["active"]["state"], "healthy") << seen.dump();
  EXPECT_EQ(seen["active"]["reason_code"], "Elb.HealthChecksPassed") << seen.dump();
  EXPECT_EQ(seen["passive"]["ejected"], true) << seen.dump();
  EXPECT_EQ(t.fulcrum->errors().find("cleared the outlier ejection", t.mark), std::string::npos) << t.fulcrum->errors();
  EXPECT_EQ(t.fulcrum->errors().find("target=" + t.a.address() + " from=unhealthy to=healthy", t.mark), std::string::npos)
      << t.fulcrum->errors();
}

}  // namespace health_test
}  // namespace fulcrum::testing
