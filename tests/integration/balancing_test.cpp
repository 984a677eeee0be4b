// Balancing algorithms through the real binary: chosen in YAML, applied to real connections,
// named in the access log.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>

#include "harness.hpp"

namespace fulcrum::testing {
namespace balancing_test {

std::string config_for(uint16_t port, const std::string& algorithm, const std::vector<std::string>& targets,
                       const std::vector<int>& weights = {}, int workers = 2) {
  std::string yaml = "workers: " + std::to_string(workers) + "\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" +
                     std::to_string(port) +
                     "\n    protocol: tcp\n    default: { forward: pool }\ntarget_groups:\n  - name: pool\n    algorithm: " +
                     algorithm + "\n    targets:\n";
  for (size_t i = 0; i < targets.size(); ++i) {
    yaml += "      - { address: " + targets[i];
    if (i < weights.size()) yaml += ", weight: " + std::to_string(weights[i]);
    yaml += " }\n";
  }
  return yaml;
}

// One short session against greeting backends: returns the name of the target that answered.
std::string who_answers(uint16_t port) {
  int fd = connect_to(port);
  std::string name = read_line(fd);
  ::close(fd);
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

std::string who_answers_from(const std::string& source_ip, uint16_t port) {
  int fd = connect_from(source_ip, port);
  std::string name = read_line(fd);
  ::close(fd);
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

// Waits until the access log holds `sessions` finished TCP sessions (whole lines).
bool wait_for_sessions(const Process& fulcrum, int sessions) {
  return wait_for_count(fulcrum, "tcp.session", static_cast<size_t>(sessions));
}

TEST(Balancing, EveryAlgorithmIsSelectableInYamlAndNamedInTheAccessLog) {
  TempDir dir;
  Backend b1(dir, "b1", "greet"), b2(dir, "b2", "greet");
  for (const char* algorithm : {"round_robin", "weighted_round_robin", "ip_hash", "least_connections",
                                "weighted_least_connections", "least_response_time", "resource_based",
                                "random_two_choices"}) {
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, config_for(port, algorithm, {b1.address(), b2.address()}), port);
    std::map<std::string, int> seen;
    for (int i = 0; i < 6; ++i) seen[who_answers(port)]++;
    for (const auto& [name, count] : seen) EXPECT_TRUE(name == "b1" || name == "b2") << algorithm << ": " << name;
    EXPECT_TRUE(fulcrum->wait_for_output(std::string("algorithm=") + algorithm + " ", 5s)) << fulcrum->output();
  }
}

TEST(Balancing, WeightedRoundRobinFiveToTwo) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  // Two workers share the group's turns: the exact 5:2 interleaving holds over both together.
  auto fulcrum = start_fulcrum(dir, config_for(port, "weighted_round_robin", {a.address(), b.address()}, {5, 2}, 2), port);
  std::string sequence;
  for (int i = 0; i < 70; ++i) sequence += who_answers(port);
  EXPECT_EQ(std::count(sequence.begin(), sequence.end(), 'a'), 50);
  EXPECT_EQ(std::count(sequence.begin(), sequence.end(), 'b'), 20);
  EXPECT_EQ(sequence.find("aaaaa"), std::string::npos) << "not smooth: " << sequence;
}

TEST(Balancing, LeastConnectionsSendsNewConnectionsAwayFromABusyTarget) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, "least_connections", {a.address(), b.address()}), port, {"--log-level", "debug"});
  // start_fulcrum's readiness probe is a session of its own: let it end first.
  ASSERT_TRUE(wait_for_sessions(*fulcrum, 1));
  // Hold two long-lived connections; with least connections they land on different targets
  // unless one is busier. Then hold a third on whichever target it picks.
  int held = connect_to(port);
  std::string busy = read_line(held);
  busy.pop_back();
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(who_answers(port), busy) << "connection " << i << " went to the target holding a long connection\n"
                                       << fulcrum->errors();
    // Wait until Fulcrum has finished the short session, so it no longer counts as active.
    EXPECT_TRUE(wait_for_sessions(*fulcrum, i + 2));
  }
  ::close(held);
}

TEST(Balancing, IpHashKeepsEachClientOnOneTargetWhateverTheTargetOrder) {
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet"), c(dir, "c", "greet");
  std::map<std::string, std::string> first;
  constexpr int kClients = 40;
  {
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, config_for(port, "ip_hash", {a.address(), b.address(), c.address()}), port);
    // Where the Maglev table puts each target depends on its address, and the backends listen
    // on randomly chosen ports: each client lands on any of the three with odds of a third. 40
    // clients miss one with odds of 3 x (2/3)^40, about 1 in 3.7 million (30 did, 1 in 64,000).
    for (int i = 1; i <= kClients; ++i) {
      std::string ip = "127.0.0." + std::to_string(i + 1);
      first[ip] = who_answers_from(ip, port);
      // The same client again: the same target.
      EXPECT_EQ(who_answers_from(ip, port), first[ip]) << ip;
    }
  }
  std::map<std::string, int> spread;
  for (const auto& [ip, name] : first) spread[name]++;
  EXPECT_EQ(spread.size(), 3u) << kClients << " clients all hashed onto fewer than 3 targets";
  // Another instance with the targets listed in another order maps every client the same way.
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, "ip_hash", {c.address(), a.address(), b.address()}), port);
  for (const auto& [ip, name] : first) EXPECT_EQ(who_answers_from(ip, port), name) << ip;
}

TEST(Balancing, LeastResponseTimeAvoidsASlowTargetAndForgivesItOnceItRecovers) {
  TempDir dir;
  Backend fast1(dir, "fast1", "echo", false, {"--delay-ms", "1"});
  Backend fast2(dir, "fast2", "echo", false, {"--delay-ms", "1"});
  auto slow = std::make_unique<Backend>(dir, "slow", "echo", false, std::vector<std::string>{"--delay-ms", "10"});
  uint16_t slow_port = slow->port;
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, "least_response_time", {fast1.address(), fast2.address(), slow->address()}), port,
                               {"--log-level", "debug"});

  auto one_request = [&] {
    int fd = connect_to(port);
    send_all(fd, "x");
    EXPECT_EQ(read_exact(fd, 1), "x");
    ::close(fd);
  };
  int done = 1;  // start_fulcrum's readiness probe
  ASSERT_TRUE(wait_for_sessions(*fulcrum, done));
  // Four clients at once, as real traffic: with concurrency, (active + 1) spreads the load over
  // targets of equal speed, while a 10x slower one stays unattractive.
  auto slow_share = [&](int sessions) {
    std::string before = fulcrum->output();
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; i < sessions / 4 + (c < sessions % 4 ? 1 : 0); ++i) one_request();
      });
    }
    for (auto& client : clients) client.join();
    done += sessions;
    EXPECT_TRUE(wait_for_sessions(*fulcrum, done));
    std::string log = fulcrum->output().substr(before.size());
    int slow_count = count_of(log, "target=127.0.0.1:" + std::to_string(slow_port));
    int total = count_of(log, "tcp.session");
    EXPECT_EQ(total, sessions);
    return static_cast<double>(slow_count) / total;
  };

  slow_share(30);  // warm-up: every target gets measured
  double while_slow = slow_share(200);
  EXPECT_LT(while_slow, 0.20) << "the 10x slower target kept " << while_slow * 100 << "% of sessions";

  // The slow target recovers (same address, now as fast as the others) and must win back a
  // fair share: the response-time average forgets the slow past.
  slow.reset();
  Backend recovered(dir, "recovered", "echo", false, {"--delay-ms", "1"}, slow_port);
  // Periodic exploration picks measure it again, and its average forgets the slow past with a
  // time constant of 100 ms (kResponseTauUs): within about a second it is trusted like the others.
  // Batches of 200 sessions run until it has a fair share again, for at most 10 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  double after = 0;
  int batches = 0;
  do {
    after = slow_share(200);
    ++batches;
  } while (after < 0.28 && std::chrono::steady_clock::now() < deadline);
  // The averages of the last pick, from the debug line upstream.picked (stderr).
  std::string log = fulcrum->errors();
  auto average_us = [&](uint16_t target_port) {
    size_t line = log.rfind("active_and_latency=");
    size_t at = line == std::string::npos ? line : log.find("127.0.0.1:" + std::to_string(target_port) + "=", line);
    size_t slash = at == std::string::npos ? at : log.find('/', at);
    return slash == std::string::npos ? -1L : std::strtol(log.c_str() + slash + 1, nullptr, 10);
  };
  long recovered_us = average_us(slow_port);
  long fast_us = std::max(average_us(fast1.port), average_us(fast2.port));
  std::printf("least_response_time: slow target (10x) share %.1f%%; after recovery %.1f%% in batch %d, average %ld us against %ld us\n",
              while_slow * 100, after * 100, batches, recovered_us, fast_us);
  EXPECT_GT(fast_us, 0) << "no latency figures in the debug log";
  EXPECT_GT(recovered_us, 0) << "no latency figure for the recovered target in the debug log";
  EXPECT_LT(recovered_us, 3 * fast_us / 2) << "the recovered target's average " << recovered_us << " us is still far above the fast ones' "
                                           << fast_us << " us";
  EXPECT_GE(after, 0.28) << "the recovered target got only " << after * 100 << "% of sessions after " << batches << " batches\n"
                         << log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
}

}  // namespace balancing_test
}  // namespace fulcrum::testing
