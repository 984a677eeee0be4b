// Every balancing algorithm on every listener protocol it applies to (tcp, udp, tls
// passthrough, http, https), against the real binary with its default worker count (2 here),
// each checking the algorithm's defining property. A new algorithm is one more entry in
// kAlgorithms and one more branch in DefiningProperty; a new listener protocol is one more rig
// in protocol_rigs.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "agent_host.hpp"
#include "harness.hpp"
#include "protocol_rigs.hpp"

namespace fulcrum::testing {
namespace algorithm_matrix_test {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kAlgorithms{"round_robin",        "weighted_round_robin",       "ip_hash",
                                           "least_connections",  "weighted_least_connections", "least_response_time",
                                           "random_two_choices", "resource_based"};

struct TargetSpec {
  std::string name;
  int weight = 1;
  int delay_ms = 0;
  std::string ip = "127.0.0.1";
};

size_t longest_run(const std::string& text, char c) {
  size_t best = 0, run = 0;
  for (char x : text) best = std::max(best, run = x == c ? run + 1 : 0);
  return best;
}

class Matrix : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  const std::string& protocol() const { return std::get<0>(GetParam()); }
  const std::string& algorithm() const { return std::get<1>(GetParam()); }

  void SetUp() override { rig_ = make_rig(protocol()); }
  void TearDown() override {
    if (rig_) rig_->release_held();
  }

  // Starts the targets and Fulcrum (group keys in `group_extra`). Readiness is the admin port, so
  // no probe connection takes a turn from the algorithm.
  void start(const std::vector<TargetSpec>& specs, const std::string& group_extra = "") {
    fulcrum_.reset();
    targets_.clear();
    for (const auto& spec : specs) targets_.push_back(rig_->start_target(dir_, spec.name, spec.ip, spec.delay_ms));
    port_ = protocol() == "udp" ? free_port(SOCK_DGRAM) : free_port();
    const uint16_t admin = free_port();
    std::string yaml = "shutdown_timeout: 1s\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" +
                       std::to_string(port_) + "\n    protocol: " + rig_->protocol() + "\n" + rig_->listener_extra(dir_) +
                       "    default: { forward: pool }\ntarget_groups:\n  - name: pool\n    algorithm: " + algorithm() +
                       "\n" + group_extra + "    targets:\n";
    for (size_t i = 0; i < specs.size(); ++i) {
      yaml += "      - { address: " + targets_[i].address + ", weight: " + std::to_string(specs[i].weight) + " }\n";
    }
    fulcrum_ = start_fulcrum(dir_, yaml, admin, {"--admin-listen", "127.0.0.1:" + std::to_string(admin)});
    // The admin port may accept before the listeners are bound: "fulcrum.start" comes after both.
    ASSERT_TRUE(fulcrum_->wait_for_output("fulcrum.start", 10s, true)) << fulcrum_->errors();
  }

  std::string exchange(const std::string& source_ip = "127.0.0.1", const std::vector<std::string>& extra = {}) {
    return rig_->exchange(port_, source_ip, extra);
  }
  // `count` exchanges in a row: the first letter of each answering target's name.
  std::string sequence(int count) {
    std::string names;
    for (const auto& name : rig_->exchanges(port_, "127.0.0.1", count)) names += name.empty() ? '?' : name[0];
    EXPECT_EQ(names.size(), static_cast<size_t>(count)) << names;
    return names;
  }
  // Opens `count` connections one after the other and keeps them: how many each target holds.
  std::map<std::string, int> hold(int count) {
    for (int i = 0; i < count; ++i) rig_->hold(port_, "127.0.0." + std::to_string(40 + i), targets_);
    return rig_->held_per_target(targets_);
  }

  void round_robin();
  void weighted_round_robin();
  void ip_hash();
  void least_connections(const std::map<std::string, int>& weights);
  void least_response_time();
  void random_two_choices();
  void resource_based();

  TempDir dir_;
  std::unique_ptr<ProtocolRig> rig_;
  std::vector<RigTarget> targets_;
  uint16_t port_ = 0;
  std::unique_ptr<Process> fulcrum_;
};

// Equal turns whatever the weights, exact over both workers together.
void Matrix::round_robin() {
  start({{"a", 1}, {"b", 3}});
  const std::string names = sequence(20);
  EXPECT_EQ(std::count(names.begin(), names.end(), 'a'), 10) << names;
  EXPECT_EQ(std::count(names.begin(), names.end(), 'b'), 10) << names;
}

// 5:2 in exact shares and smoothly interleaved: never more than 3 of a in a row.
void Matrix::weighted_round_robin() {
  start({{"a", 5}, {"b", 2}});
  const std::string names = sequence(35);
  EXPECT_EQ(std::count(names.begin(), names.end(), 'a'), 25) << names;
  EXPECT_EQ(std::count(names.begin(), names.end(), 'b'), 10) << names;
  EXPECT_LE(longest_run(names, 'a'), 3u) << "not smooth: " << names;
}

// Each client address keeps its target, and clients spread; on HTTP, a header key decides
// whatever the address.
void Matrix::ip_hash() {
  start({{"a"}, {"b"}, {"c"}});
  std::set<std::string> used;
  for (int client = 0; client < 20; ++client) {
    const std::string source = "127.0.0." + std::to_string(60 + client);
    const auto names = rig_->exchanges(port_, source, 2);
    ASSERT_EQ(names.size(), 2u) << source;
    EXPECT_FALSE(names[0].empty()) << source;
    EXPECT_EQ(names[1], names[0]) << source << " moved";
    used.insert(names[0]);
  }
  EXPECT_GE(used.size(), 2u) << "20 clients all on one target";
  if (!rig_->speaks_http()) return;
  start({{"a"}, {"b"}, {"c"}}, "    hash_key: \"header:X-User\"\n");
  // The table's placement follows the targets' randomly chosen ports: each user lands on any of
  // the three with odds of a third. 20 users all land on one with odds of 3 × (1/3)^20, about
  // 1 in 3 × 10^8 over the four HTTP rigs (12 did, 1 in 44,000 a run).
  constexpr int kUsers = 20;
  std::set<std::string> spread;
  for (int user = 0; user < kUsers; ++user) {
    const std::vector<std::string> header{"-H", "X-User: u" + std::to_string(user)};
    const std::string first = exchange("127.0.0.61", header);
    EXPECT_EQ(exchange("127.0.0.62", header), first) << "user " << user;
    spread.insert(first);
  }
  EXPECT_GE(spread.size(), 2u) << kUsers << " users all on one target";
}

// Connections held open: each new one goes to the target holding fewer per unit of weight.
void Matrix::least_connections(const std::map<std::string, int>& weights) {
  std::vector<TargetSpec> specs;
  int total_weight = 0;
  for (const auto& [name, weight] : weights) {
    specs.push_back({name, weight});
    total_weight += weight;
  }
  start(specs);
  const int held = 2 * total_weight;
  const auto counts = hold(held);
  for (const auto& [name, weight] : weights) {
    EXPECT_EQ(counts.count(name) ? counts.at(name) : 0, 2 * weight) << name;
  }
}

// A target 40 ms slower than the other gets few of the requests (the exploration trickle).
void Matrix::least_response_time() {
  start({{"fast"}, {"slow", 1, 40}});
  const std::string names = sequence(40);
  const auto to_slow = std::count(names.begin(), names.end(), 's');
  EXPECT_LE(to_slow, 8) << names;
  EXPECT_EQ(std::count(names.begin(), names.end(), 'f') + to_slow, 40) << names;
}

// Two targets: the less loaded of two draws (so held connections split evenly), and a fair coin
// between idle ones.
void Matrix::random_two_choices() {
  least_connections({{"a", 1}, {"b", 1}});
  rig_->release_held();
  // Which worker (each with its own generator) takes each connection is the kernel's choice, so
  // the count is at worst a binomial of n and 1/2 (less spread when a session still open makes
  // the other target win). 20 % to 80 % of 40 failed with odds of 4.2e-5 per rig, 1 in 3,400
  // a run over the seven rigs; of 80, with odds of 1.4e-8 per rig, 1 in 10 million a run.
  // A tie always going one way still gives 0 or 80.
  constexpr int kPicks = 80;
  const std::string names = sequence(kPicks);
  const auto to_a = std::count(names.begin(), names.end(), 'a');
  EXPECT_GE(to_a, kPicks / 5) << names;
  EXPECT_LE(to_a, kPicks - kPicks / 5) << names;
}

// The agent's report moves traffic: to the host with memory to spare, then back when the loads swap.
void Matrix::resource_based() {
  const uint16_t agent_port = free_port();
  AgentHost host_a(dir_, "a", "127.0.0.2", agent_port), host_b(dir_, "b", "127.0.0.3", agent_port);
  host_a.set_memory_percent(80);
  host_b.set_memory_percent(10);
  const std::string check = protocol() == "udp" ? "udp" : "tcp";
  start({{"a", 1, 0, "127.0.0.2"}, {"b", 1, 0, "127.0.0.3"}},
        "    health_check: { protocol: " + check + (protocol() == "udp" ? ", send: ping" : "") +
            ", interval: 1s, timeout: 500ms, agent_port: " +
            std::to_string(agent_port) + " }\n");
  // Batches of 10 until nine go to the expected host (the agents are asked every interval).
  auto moves_to = [&](char expected) {
    std::string last;
    const auto deadline = Clock::now() + 6s;
    while (Clock::now() < deadline) {
      last = sequence(10);
      if (std::count(last.begin(), last.end(), expected) >= 9) return std::string();
      std::this_thread::sleep_for(100ms);
    }
    return last;
  };
  EXPECT_EQ(moves_to('b'), "") << "a at 80 %, b at 10 %: traffic did not go to b\n" << fulcrum_->errors();
  host_a.set_memory_percent(10);
  host_b.set_memory_percent(80);
  EXPECT_EQ(moves_to('a'), "") << "loads swapped: traffic did not follow\n" << fulcrum_->errors();
}

TEST_P(Matrix, DefiningProperty) {
  const std::string& a = algorithm();
  if (a == "round_robin") round_robin();
  else if (a == "weighted_round_robin") weighted_round_robin();
  else if (a == "ip_hash") ip_hash();
  else if (a == "least_connections") least_connections({{"a", 1}, {"b", 1}});
  else if (a == "weighted_least_connections") least_connections({{"a", 1}, {"b", 2}});
  else if (a == "least_response_time") least_response_time();
  else if (a == "random_two_choices") random_two_choices();
  else if (a == "resource_based") resource_based();
  else FAIL() << "no property for " << a;
}

INSTANTIATE_TEST_SUITE_P(AlgorithmsByProtocol, Matrix,
                         ::testing::Combine(::testing::ValuesIn(all_protocols()), ::testing::ValuesIn(kAlgorithms)),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

}  // namespace algorithm_matrix_test
}  // namespace fulcrum::testing
