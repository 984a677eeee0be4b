// Idle keep-alive client connections are parked outside Asio after 200 ms (src/http/
// idle_parking.hpp): they must still serve their next request (also pipelined), count as open
// in /metrics, end at idle_timeout, and close at once when the process drains.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http_idle_test {

std::string config(uint16_t port, const std::string& target, const std::string& listener_extra,
                   const std::string& shutdown = "2s") {
  return "workers: 2\nshutdown_timeout: " + shutdown + "\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" +
         std::to_string(port) + "\n    protocol: http\n" + listener_extra +
         "    default: { forward: app }\ntarget_groups:\n  - name: app\n    targets:\n      - { address: " + target +
         " }\n";
}

// Sends `request` and reads until `tail` has arrived `times` times (or EOF / timeout).
std::string exchange(int fd, const std::string& request, const std::string& tail, int times = 1,
                     std::chrono::milliseconds timeout = 3s) {
  send_all(fd, request);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto count = [&] {
    int n = 0;
    for (size_t at = out.find(tail); at != std::string::npos; at = out.find(tail, at + 1)) ++n;
    return n;
  };
  while (count() < times && std::chrono::steady_clock::now() < deadline) {
    std::string more = read_exact(fd, 1, 1s);
    if (more.empty()) break;
    out += more;
  }
  return out;
}

// fulcrum_listener_active_connections of listener "web", or -1.
long active_connections(const std::string& admin) {
  const std::string metrics = curl({"http://" + admin + "/metrics"}).out;
  const std::string key = "fulcrum_listener_active_connections{listener=\"web\"} ";
  const size_t at = metrics.find(key);
  return at == std::string::npos ? -1 : std::stol(metrics.substr(at + key.size()));
}

// Voluntary context switches so far of the process's worker threads (fulcrum-w*): each time
// a worker's loop went to sleep and was woken.
long worker_wakeups(int pid) {
  long total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (!name.starts_with("fulcrum-w")) continue;
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("voluntary_ctxt_switches:")) total += std::stol(line.substr(line.find(':') + 1));
    }
  }
  return total;
}

constexpr auto kParked = 600ms;  // well past the 200 ms after which an idle connection is parked
const std::string kGet = "GET /slow/0 HTTP/1.1\r\nHost: a\r\n\r\n";
const std::string kTail = "slow b1\n";  // the end of the answer to kGet

// One HTTP backend and one fulcrum with listener "web" (on `port_`) in front of it.
class HttpIdle : public ::testing::Test {
 protected:
  HttpIdle() : backend_(dir_, "b1", {"--quiet"}), port_(free_port()) {}

  void start(const std::string& listener_extra, const std::string& shutdown = "2s") {
    fulcrum_ = start_fulcrum(dir_, config(port_, backend_.address(), listener_extra, shutdown), port_);
  }

  // Opens `count` connections into `fds`, each served one request.
  void open_served(int count, std::vector<int>& fds) {
    for (int i = 0; i < count; ++i) {
      fds.push_back(connect_to(port_));
      ASSERT_EQ(status_of(exchange(fds.back(), kGet, kTail)), 200) << i;
    }
  }

  TempDir dir_;
  HttpBackend backend_;
  uint16_t port_;
  std::unique_ptr<Process> fulcrum_;
};

TEST_F(HttpIdle, ParkedConnectionsServeTheirNextRequestsAndCountAsOpen) {
  start("");
  const std::string admin = admin_address(*fulcrum_);
  ASSERT_FALSE(admin.empty());
  constexpr int kClients = 20;
  std::vector<int> fds;
  ASSERT_NO_FATAL_FAILURE(open_served(kClients, fds));
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(kParked);
    EXPECT_EQ(active_connections(admin), kClients) << round;
    for (int i = 0; i < kClients; ++i) {
      // Odd ones send two pipelined requests at once: both answered, in order.
      const bool two = (i + round) % 2 == 1;
      const std::string answer = exchange(fds[i], two ? kGet + kGet : kGet, kTail, two ? 2 : 1);
      EXPECT_EQ(status_of(answer), 200) << "client " << i << " round " << round << ": " << answer;
      if (two) {
        EXPECT_NE(answer.find(kTail), answer.rfind(kTail)) << answer;
      }
    }
  }
  // A client that leaves while parked is counted closed.
  std::this_thread::sleep_for(kParked);
  for (int i = 0; i < kClients / 2; ++i) ::close(fds[i]);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(active_connections(admin), kClients / 2);
  for (int i = kClients / 2; i < kClients; ++i) ::close(fds[i]);
  EXPECT_TRUE(fulcrum_->running()) << fulcrum_->errors();
}

TEST_F(HttpIdle, ParkedConnectionsEndAtIdleTimeout) {
  start("    idle_timeout: 1s\n");
  const std::string admin = admin_address(*fulcrum_);
  int fd = connect_to(port_);
  ASSERT_EQ(status_of(exchange(fd, kGet, kTail)), 200);
  const auto idle_from = std::chrono::steady_clock::now();
  // Parked, still open at 700 ms, closed by 1 s (+ the 50 ms tick, + slack for a busy machine).
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(active_connections(admin), 1);
  EXPECT_TRUE(closed_within(fd, 3s));
  EXPECT_GE(std::chrono::steady_clock::now() - idle_from, 950ms);
  ::close(fd);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(active_connections(admin), 0);
}

TEST_F(HttpIdle, DrainingClosesParkedConnectionsAtOnce) {
  // shutdown_timeout 30 s: the process must not wait for it with only idle clients open.
  start("", "30s");
  std::vector<int> fds;
  ASSERT_NO_FATAL_FAILURE(open_served(10, fds));
  std::this_thread::sleep_for(kParked);
  const auto stop_at = std::chrono::steady_clock::now();
  fulcrum_->signal(SIGTERM);
  for (int fd : fds) EXPECT_TRUE(closed_within(fd, 3s));
  EXPECT_EQ(fulcrum_->wait(5s), std::optional<int>(0)) << fulcrum_->errors();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_at, 5s);
  for (int fd : fds) ::close(fd);
}

// With nothing armed (no request under way, no parked client, no pooled target connection) a
// worker's tick stops: two idle workers used to wake 40 times a second between them. The first
// deadline armed after that sleep still fires on time: half a head gets its 408 after
// client_header_timeout.
TEST_F(HttpIdle, AnIdleWorkerSleepsAndTheFirstDeadlineAfterwardsStillFires) {
  std::string yaml = config(port_, backend_.address(), "    client_header_timeout: 1s\n");
  const std::string group = "  - name: app\n";
  yaml.replace(yaml.find(group), group.size(), group + "    keepalive_timeout: 300ms\n");
  fulcrum_ = start_fulcrum(dir_, yaml, port_);
  int fd = connect_to(port_);
  ASSERT_EQ(status_of(exchange(fd, kGet, kTail)), 200);  // leaves a pooled target connection
  ::close(fd);
  std::this_thread::sleep_for(1s);  // the pooled connection expires and is swept
  const long before = worker_wakeups(fulcrum_->pid());
  std::this_thread::sleep_for(1s);
  const long wakeups = worker_wakeups(fulcrum_->pid()) - before;
  EXPECT_LE(wakeups, 2) << "idle workers still tick";

  fd = connect_to(port_);
  const auto sent = std::chrono::steady_clock::now();
  send_all(fd, "GET / HTTP/1.1\r\nHost: a\r\n");
  const std::string response = read_to_eof(fd, 4s);
  const auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_GE(waited, 950ms);
  EXPECT_LT(waited, 3s);
  ::close(fd);
  EXPECT_TRUE(fulcrum_->running()) << fulcrum_->errors();
}

}  // namespace http_idle_test
}  // namespace fulcrum::testing
