// A target killed under load on the layer-4 listeners (tcp, tls passthrough), with the default
// worker count. A TCP proxy cannot save a connection the target had already accepted: its bytes
// are gone with the process, as with HAProxy or NLB. What it can do is never hand a new
// connection to the dead target: a refused connect is tried on another target (HAProxy's
// `option redispatch`) and the target is ejected. So: no connection opened after the kill fails,
// and at most one per client in flight at the kill instant does.
#include <signal.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "protocol_rigs.hpp"

namespace fulcrum::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Outcome {
  Clock::time_point started;
  std::string target;  // "" when no target answered
};

class L4Failover : public ::testing::TestWithParam<std::string> {};

TEST_P(L4Failover, KillingATargetUnderLoadFailsNoNewConnection) {
  TempDir dir;
  auto rig = make_rig(GetParam());
  std::vector<RigTarget> targets;
  for (const char* name : {"a", "b", "c"}) targets.push_back(rig->start_target(dir, name, "127.0.0.1", 0));
  const uint16_t port = free_port();
  const uint16_t admin = free_port();
  std::string yaml = "shutdown_timeout: 1s\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: " + GetParam() + "\n" + rig->listener_extra(dir) +
                     "    default: { forward: pool }\ntarget_groups:\n  - name: pool\n    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target.address + " }\n";
  auto fulcrum = start_fulcrum(dir, yaml, admin, {"--admin-listen", "127.0.0.1:" + std::to_string(admin)});
  ASSERT_TRUE(fulcrum->wait_for_output("fulcrum.start", 10s, true)) << fulcrum->errors();

  // Four clients, each opening connections one after another (bounded: 4,000 each, or until told).
  constexpr int kClients = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> total{0};
  std::vector<std::vector<Outcome>> outcomes(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 4000 && !stop.load(); ++i) {
        const auto started = Clock::now();
        outcomes[c].push_back({started, rig->exchange(port, "127.0.0.1")});
        total.fetch_add(1);
      }
    });
  }
  auto wait_total = [&](int count) {
    const auto deadline = Clock::now() + 10s;
    while (total.load() < count && Clock::now() < deadline) std::this_thread::sleep_for(2ms);
    return total.load() >= count;
  };
  EXPECT_TRUE(wait_total(400));
  targets[0].process->signal(SIGKILL);
  ASSERT_TRUE(targets[0].process->wait(2s).has_value());
  const auto killed = Clock::now();  // the process is gone: its port refuses from here on
  const int at_kill = total.load();
  EXPECT_TRUE(wait_total(at_kill + 1200));
  stop = true;
  for (auto& client : clients) client.join();

  int before = 0, after = 0, failed_before = 0, failed_after = 0, to_victim_after = 0;
  for (const auto& list : outcomes) {
    for (const auto& outcome : list) {
      const bool late = outcome.started >= killed;
      (late ? after : before)++;
      if (outcome.target.empty()) (late ? failed_after : failed_before)++;
      if (late && outcome.target == "a") to_victim_after++;
    }
  }
  std::printf("%s: target a killed under %d clients: %d connections before (%d failed), %d after (%d failed)\n",
              GetParam().c_str(), kClients, before, failed_before, after, failed_after);
  EXPECT_GT(after, 1000);
  EXPECT_EQ(failed_after, 0) << "connections opened after the kill failed\n" << fulcrum->errors();
  EXPECT_EQ(to_victim_after, 0);
  EXPECT_LE(failed_before, kClients) << "more failures than connections in flight at the kill";
  EXPECT_TRUE(fulcrum->wait_for_output("Target.OutlierEjected", 5s, true)) << fulcrum->errors();
}

INSTANTIATE_TEST_SUITE_P(StreamProtocols, L4Failover, ::testing::Values("tcp", "tls"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fulcrum::testing
