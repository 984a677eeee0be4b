// Targets failing under load: killed, stopped gracefully, hung, all down. Clients should not
// notice a target going away while another can answer (docs/configuration.md § Retries). Each
// test runs wrk against the real binary with its default worker count and counts failures.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace failover_test {

using Clock = std::chrono::steady_clock;

// An http listener in front of `targets`, with every key at its default unless `group_extra`
// or `listener_extra` say otherwise (no `workers:`: one per core, as users get it).
std::string failover_config(uint16_t port, const std::vector<std::string>& targets, const std::string& group_extra = "",
                            const std::string& listener_extra = "", const std::string& protocol = "http") {
  std::string yaml = "shutdown_timeout: 2s\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: " + protocol + "\n" + listener_extra +
                     "    default: { forward: app }\ntarget_groups:\n  - name: app\n" + group_extra + "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  return yaml;
}

std::string url(uint16_t port, const std::string& path = "/") { return "http://127.0.0.1:" + std::to_string(port) + path; }

// Waits until `done` holds or the timeout passes; true when it held.
template <class Condition>
bool wait_until(Condition done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// The access lines of requests that did not end 2xx or 3xx (at most 20), and the error log's
// lines about targets, so that a failure says which status, which target and how many attempts.
std::string failed_requests(const Process& fulcrum) {
  std::string report;
  const std::string log = fulcrum.output();
  int shown = 0;
  for (size_t at = log.find("status="); at != std::string::npos && shown < 20; at = log.find("status=", at + 1)) {
    const char first_digit = at + 7 < log.size() ? log[at + 7] : '2';
    if (first_digit == '2' || first_digit == '3') continue;
    const size_t newline_before = log.rfind('\n', at);
    const size_t start = newline_before == std::string::npos ? 0 : newline_before + 1;
    const size_t end = log.find('\n', at);
    report += log.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    ++shown;
  }
  const std::string errors = fulcrum.errors();
  return "failed requests in the access log:\n" + report + "error log (last 3000 bytes):\n" +
         errors.substr(errors.size() > 3000 ? errors.size() - 3000 : 0);
}

void print_totals(const char* what, const WrkTotals& totals) {
  std::printf("%s: %llu requests, %llu failed (non-2xx %llu, connect %llu, read %llu, write %llu, timeouts %llu)\n",
              what, static_cast<unsigned long long>(totals.requests),
              static_cast<unsigned long long>(totals.failures()),
              static_cast<unsigned long long>(totals.non_2xx_3xx),
              static_cast<unsigned long long>(totals.connect_errors),
              static_cast<unsigned long long>(totals.read_errors),
              static_cast<unsigned long long>(totals.write_errors), static_cast<unsigned long long>(totals.timeouts));
}

// The kill and the graceful stop run on every HTTP-capable listener protocol.
class FailoverOn : public ::testing::TestWithParam<std::string> {
 protected:
  bool tls() const { return GetParam() == "https"; }
  // The listener's certificate keys for https.
  std::string listener_extra() {
    if (!tls()) return "";
    pki_ = std::make_unique<TestPki>(dir);
    return https_listener_tls(*pki_);
  }
  std::string front_url(uint16_t port) const {
    return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + "/";
  }
  TempDir dir;
  std::unique_ptr<TestPki> pki_;
};

TEST_P(FailoverOn, KillingATargetUnderLoadFailsNoRequest) {
  std::vector<std::unique_ptr<HttpBackend>> targets;
  std::vector<std::string> addresses;
  for (const char* name : {"a", "b", "c"}) {
    targets.push_back(std::make_unique<HttpBackend>(dir, name));
    addresses.push_back(targets.back()->address());
  }
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, failover_config(port, addresses, "", listener_extra(), GetParam()), port);
  auto wrk = start_wrk(dir, front_url(port), 20, 4);
  // Three kills, one target each time; the killed one is started again on its port afterwards.
  for (size_t round = 0; round < 3; ++round) {
    // One target down at a time: the victim has served 1,000 more requests since the previous
    // victim came back (about 60 ms). Without that spacing the second and third kills came 19 ms
    // apart, while the first victim, back already, was still ejected: a request that met the
    // second victim dead just before its restart and the third just after its kill had no target
    // left and got 502 (3 of 116,215).
    HttpBackend& victim = *targets[round];
    const size_t served_before = victim.count("request GET");
    ASSERT_TRUE(wait_until([&] { return victim.count("request GET") > served_before + 1000; }, 5s))
        << "target " << round << " takes no traffic\n" << fulcrum->errors();
    victim.process.signal(SIGKILL);
    ASSERT_TRUE(victim.process.wait(2s).has_value());
    // Traffic goes on without it for a while (its connects are refused, its pooled connections
    // reset); then it comes back where it was.
    const size_t refused_before = fulcrum->errors().size();
    wait_until([&] { return fulcrum->errors().find("http.connect_failed", refused_before) != std::string::npos; }, 1s);
    const uint16_t victim_port = victim.port;
    targets[round] = std::make_unique<HttpBackend>(dir, std::string(1, static_cast<char>('a' + round)),
                                                   std::vector<std::string>{}, victim_port);
  }
  ASSERT_TRUE(wrk->wait(20s).has_value());
  const WrkTotals totals = parse_wrk(wrk->output());
  print_totals((GetParam() + ": 3 kills under wrk -c20").c_str(), totals);
  ASSERT_TRUE(totals.parsed) << wrk->output();
  EXPECT_GT(totals.requests, 1000u);
  EXPECT_EQ(totals.failures(), 0u) << wrk->output() << failed_requests(*fulcrum);
}

// nginx as the targets, stopped the way an operator stops it (SIGQUIT, what `nginx -s quit`
// sends): it stops accepting, finishes what it has, and closes its idle keep-alive connections.
struct NginxTarget {
  NginxTarget(const TempDir& dir, const std::string& name) : port(free_port()) {
    const std::string root = dir.path() + "/nginx-" + name;
    ::mkdir(root.c_str(), 0755);
    std::ofstream(root + "/nginx.conf")
        << "daemon off;\nworker_processes 1;\npid " << root << "/nginx.pid;\nerror_log " << root
        << "/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << root << ";\n  proxy_temp_path " << root << ";\n"
        << "  server {\n    listen 127.0.0.1:" << port << ";\n    keepalive_requests 100000;\n"
        << "    location / { return 200 \"" << name << "\\n\"; }\n  }\n}\n";
    process = std::make_unique<Process>(
        std::vector<std::string>{"/usr/sbin/nginx", "-p", root, "-c", root + "/nginx.conf"}, dir.path(), "nginx-" + name);
    EXPECT_TRUE(wait_until([&] { return can_connect(port); }, 5s)) << "nginx " << name << " did not start";
  }
  // SIGTERM, not Process's SIGKILL: a killed master leaves its worker running, with the
  // listening port and every descriptor the test inherited (a lock held by ctest's parent).
  ~NginxTarget() {
    process->signal(SIGTERM);
    process->wait(5s);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  uint16_t port;
  std::unique_ptr<Process> process;
};

TEST_P(FailoverOn, AGracefullyStoppedTargetFailsNoRequest) {
  NginxTarget a(dir, "a"), b(dir, "b"), c(dir, "c");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, failover_config(port, {a.address(), b.address(), c.address()}, "", listener_extra(), GetParam()), port);
  auto wrk = start_wrk(dir, front_url(port), 20, 3);
  ASSERT_TRUE(wait_until([&] { return fulcrum->output().find("target=" + a.address()) != std::string::npos; }, 5s));
  std::this_thread::sleep_for(300ms);  // load on all three before the stop
  a.process->signal(SIGQUIT);
  EXPECT_TRUE(a.process->wait(5s).has_value()) << "nginx did not stop";
  ASSERT_TRUE(wrk->wait(20s).has_value());
  const WrkTotals totals = parse_wrk(wrk->output());
  print_totals((GetParam() + ": nginx -s quit under wrk -c20").c_str(), totals);
  ASSERT_TRUE(totals.parsed) << wrk->output();
  EXPECT_GT(totals.requests, 1000u);
  EXPECT_EQ(totals.failures(), 0u) << wrk->output() << failed_requests(*fulcrum);
}

INSTANTIATE_TEST_SUITE_P(Failover, FailoverOn, ::testing::Values("http", "https"),
                         [](const auto& info) { return info.param; });

TEST(Failover, AHungTargetCostsOnlyTheRequestsOnItAndNoneOnceEjected) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b"), c(dir, "c");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      failover_config(port, {a.address(), b.address(), c.address()},
                      "    outlier_detection: { consecutive_failures: 2 }\n", "    response_timeout: 1s\n"),
      port);
  ASSERT_TRUE(wait_until([&] { return can_connect(port); }, 2s));
  const int connections = 20;
  auto wrk = start_wrk(dir, url(port), connections, 3, {"--timeout", "5s"});
  ASSERT_TRUE(wait_until([&] { return a.count("request GET") > 200; }, 5s));
  a.process.signal(SIGSTOP);
  ASSERT_TRUE(wrk->wait(20s).has_value());
  a.process.signal(SIGCONT);
  const WrkTotals during = parse_wrk(wrk->output());
  print_totals("a target hung (SIGSTOP) under wrk -c20", during);
  ASSERT_TRUE(during.parsed) << wrk->output();
  // Only requests that went to it before its ejection may fail, each with a 504 after
  // response_timeout: no other error, and no failure on another target. The access lines come
  // from a writer thread, after the answers: first every answered request's line, and a line
  // for every failure wrk saw.
  EXPECT_TRUE(wait_for_count(*fulcrum, "http.request", during.requests)) << "fewer access lines than requests";
  EXPECT_TRUE(wait_for_count(*fulcrum, "status=5", during.non_2xx_3xx)) << "fewer 5xx access lines than failures";
  const std::string log = fulcrum->output();
  size_t timed_out_on_hung = 0, failed_elsewhere = 0;
  for (size_t at = log.find("status=5"); at != std::string::npos; at = log.find("status=5", at + 1)) {
    const size_t end = log.find('\n', at);
    const std::string line = log.substr(at, end - at);
    if (line.rfind("status=504", 0) == 0 && line.find("target=" + a.address()) != std::string::npos) {
      ++timed_out_on_hung;
    } else {
      ++failed_elsewhere;
    }
  }
  std::printf("  504 from the hung target: %zu, other failures: %zu\n", timed_out_on_hung, failed_elsewhere);
  EXPECT_EQ(during.failures(), during.non_2xx_3xx) << wrk->output();
  EXPECT_EQ(during.non_2xx_3xx, timed_out_on_hung);
  EXPECT_EQ(failed_elsewhere, 0u);
  EXPECT_NE(fulcrum->errors().find("Target.OutlierEjected"), std::string::npos) << fulcrum->errors();
  a.process.signal(SIGSTOP);
  auto after = start_wrk(dir, url(port), connections, 1, {"--timeout", "5s"});
  ASSERT_TRUE(after->wait(20s).has_value());
  a.process.signal(SIGCONT);
  const WrkTotals ejected = parse_wrk(after->output());
  print_totals("the same target hung, after its ejection", ejected);
  EXPECT_GT(ejected.requests, 100u);
  EXPECT_EQ(ejected.failures(), 0u) << after->output();
}

TEST(Failover, EveryTargetDownIsAnswered502AtOnceWhenFailingOpen) {
  TempDir dir;
  // Addresses nobody listens on: every connect is refused.
  const std::string down1 = "127.0.0.1:" + std::to_string(free_port());
  const std::string down2 = "127.0.0.1:" + std::to_string(free_port());
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, failover_config(port, {down1, down2}), port);
  const auto started = Clock::now();
  const auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url(port)});
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_EQ(r.out, "502");
  EXPECT_LT(took, 2s) << "answered after " << took.count() << " ms";
  // Both were tried, and the access line says so (once the log's writer thread has written it).
  EXPECT_TRUE(fulcrum->wait_for_output("attempts=2", 5s)) << fulcrum->output();
  EXPECT_TRUE(wait_until(
      [&] {
        const std::string log = fulcrum->output();
        return log.find("tried=\"" + down1 + " " + down2 + "\"") != std::string::npos ||
               log.find("tried=\"" + down2 + " " + down1 + "\"") != std::string::npos;
      },
      5s))
      << fulcrum->output();
}

TEST(Failover, EveryTargetUnhealthyIsAnswered503AtOnceWhenNotFailingOpen) {
  TempDir dir;
  const std::string down1 = "127.0.0.1:" + std::to_string(free_port());
  const std::string down2 = "127.0.0.1:" + std::to_string(free_port());
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      failover_config(port, {down1, down2},
                      "    fail_open: false\n    health_check: { protocol: tcp, interval: 1s, timeout: 500ms, "
                      "unhealthy_threshold: 1 }\n"),
      port);
  ASSERT_TRUE(fulcrum->wait_for_output("health.no_healthy_target", 5s, true)) << fulcrum->errors();
  const auto started = Clock::now();
  const auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url(port)});
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_EQ(r.out, "503");
  EXPECT_LT(took, 2s) << "answered after " << took.count() << " ms";
}

TEST(Failover, WithRetryOnTimeoutAHungTargetCostsNothing) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir,
                               failover_config(port, {a.address(), b.address()},
                                               "    algorithm: round_robin\n    retry_on_timeout: true\n"
                                               "    outlier_detection: { enabled: false }\n",
                                               "    response_timeout: 300ms\n"),
                               port);
  a.process.signal(SIGSTOP);
  int ok = 0;
  for (int i = 0; i < 4; ++i) ok += curl({"-o", "/dev/null", "-w", "%{http_code}", url(port, "/x")}).out == "200";
  // A POST is not sent twice: those that went to the hung target time out (504) after one attempt.
  int timeouts = 0, answered = 0;
  for (int i = 0; i < 4; ++i) {
    const std::string code = curl({"-o", "/dev/null", "-w", "%{http_code}", "-d", "x", url(port, "/echo")}).out;
    timeouts += code == "504";
    answered += code == "200";
  }
  a.process.signal(SIGCONT);
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(timeouts + answered, 4);
  EXPECT_GE(timeouts, 1) << "no POST reached the hung target";
  // Every POST's access line (a writer thread writes them after the answers), then their attempts.
  EXPECT_TRUE(wait_for_count(*fulcrum, "method=POST", 4)) << fulcrum->output();
  const std::string log = fulcrum->output();
  for (size_t at = log.find("method=POST"); at != std::string::npos; at = log.find("method=POST", at + 1)) {
    const std::string line = log.substr(at, log.find('\n', at) - at);
    if (line.find("status=504") != std::string::npos) {
      EXPECT_NE(line.find("attempts=1 "), std::string::npos) << line;
    }
  }
}

}  // namespace failover_test
}  // namespace fulcrum::testing

namespace fulcrum::testing {
namespace failover_test {

// An idempotent request whose body streams past the receive buffer is still replayed on another
// target, whole, while it stays within retry_body_limit; a larger one is not.
TEST(Failover, AStreamedBodyWithinTheRetryLimitIsReplayedWhole) {
  TempDir dir;
  HttpBackend dropping(dir, "dropping", {"--drop-requests"});
  HttpBackend good(dir, "good");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir,
                               failover_config(port, {dropping.address(), good.address()},
                                               "    algorithm: round_robin\n    outlier_detection: { enabled: false }\n"),
                               port);
  auto put = [&](size_t size) {
    const std::string body_file = dir.write("body-" + std::to_string(size), std::string(size, 'x'));
    int ok = 0;
    // Two in a row: round robin sends one of them to the dropping target first.
    for (int i = 0; i < 2; ++i) {
      const auto r = curl({"-o", dir.path() + "/echoed", "-w", "%{http_code}", "-X", "PUT", "--data-binary",
                           "@" + body_file, url(port, "/echo")});
      if (r.out == "200") {
        std::ifstream echoed(dir.path() + "/echoed", std::ios::binary);
        const std::string back((std::istreambuf_iterator<char>(echoed)), std::istreambuf_iterator<char>());
        EXPECT_EQ(back.size(), size);
        ++ok;
      }
    }
    return ok;
  };
  EXPECT_EQ(put(40 * 1024), 2) << fulcrum->output();  // 40 KiB: past the 16 KiB buffer, within 64 KiB
  EXPECT_EQ(put(100 * 1024), 1) << fulcrum->output();  // 100 KiB: the dropped one is a 502
  EXPECT_GE(dropping.count("request PUT /echo body=40960"), 1u);
  EXPECT_EQ(good.count("request PUT /echo body=40960"), 2u);
}

}  // namespace failover_test
}  // namespace fulcrum::testing
