// A target killed under load on the layer-4 listeners (tcp, tls passthrough, udp), with the
// default worker count.
// - TCP: a proxy cannot save a connection the target had already accepted: its bytes are gone
//   with the process, as with HAProxy or NLB. What it can do is never hand a new connection to
//   the dead target: a refused connect is tried on another target (HAProxy's `option
//   redispatch`) and the target is ejected. So no connection opened after the kill fails, and at
//   most one per client in flight at the kill instant does.
// - UDP: a new flow's first datagram that meets the closed port (ICMP) goes to another target,
//   and a flow whose target was ejected moves with its next datagram. So no datagram is lost.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "harness.hpp"
#include "protocol_rigs.hpp"

namespace fulcrum::testing {
namespace l4_failover_test {

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
  // A client loses at most the connection it had in flight at the SIGKILL, and one more that
  // reached the dying process's listening socket (it takes connections into its backlog until
  // the kernel closes it at exit, which `killed` above waits for): one forwarded there was
  // already connected, so there is nothing to retry.
  EXPECT_LE(failed_before, 2 * kClients) << "more failures than connections in flight at the kill";
  EXPECT_TRUE(fulcrum->wait_for_output("Target.OutlierEjected", 5s, true)) << fulcrum->errors();
}

// One datagram on `fd` (a connected UDP socket) and its answer within 1 s: the first word of the
// reply, the target's name; "" when none came.
std::string ask(int fd) {
  if (::send(fd, "x", 1, 0) != 1) return "";
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 1000) != 1) return "";
  char reply[256];
  const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
  if (n <= 0) return "";
  const std::string text(reply, static_cast<size_t>(n));
  return text.substr(0, text.find(' '));
}

TEST(UdpFailover, AKilledTargetLosesNoDatagramOfNewFlowsNorOfFlowsItHad) {
  TempDir dir;
  auto rig = make_rig("udp");
  std::vector<RigTarget> targets;
  for (const char* name : {"a", "b", "c"}) targets.push_back(rig->start_target(dir, name, "127.0.0.1", 0));
  const uint16_t port = free_port(SOCK_DGRAM);
  const uint16_t admin = free_port();
  std::string yaml = "shutdown_timeout: 1s\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" + std::to_string(port) +
                     "\n    protocol: udp\n    default: { forward: pool }\ntarget_groups:\n  - name: pool\n    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target.address + " }\n";
  auto fulcrum = start_fulcrum(dir, yaml, admin, {"--admin-listen", "127.0.0.1:" + std::to_string(admin)});
  ASSERT_TRUE(fulcrum->wait_for_output("fulcrum.start", 10s, true)) << fulcrum->errors();

  // 30 flows that each got an answer; about 10 of them are on target a.
  std::vector<int> old_flows;
  int on_a = 0;
  for (int i = 0; i < 30; ++i) {
    old_flows.push_back(try_connect_from("127.0.0.1", port, SOCK_DGRAM));
    const std::string who = ask(old_flows.back());
    ASSERT_FALSE(who.empty()) << "flow " << i << " got no answer before the kill";
    on_a += who == "a";
  }
  ASSERT_GT(on_a, 0);
  targets[0].process->signal(SIGKILL);
  ASSERT_TRUE(targets[0].process->wait(2s).has_value());

  // New flows, one datagram each, until a has been ejected (at most 600): every one is answered,
  // those first sent to a's closed port by another target.
  int new_flows = 0, new_lost = 0, new_to_a = 0;
  while (new_flows < 600 && fulcrum->errors().find("Target.OutlierEjected") == std::string::npos) {
    const int fd = try_connect_from("127.0.0.1", port, SOCK_DGRAM);
    const std::string who = ask(fd);
    ::close(fd);
    ++new_flows;
    new_lost += who.empty();
    new_to_a += who == "a";
  }
  EXPECT_NE(fulcrum->errors().find("Target.OutlierEjected"), std::string::npos) << fulcrum->errors();
  // The flows that were on a: their next datagram goes to a target that is up.
  int old_lost = 0, old_to_a = 0;
  for (const int fd : old_flows) {
    const std::string who = ask(fd);
    old_lost += who.empty();
    old_to_a += who == "a";
    ::close(fd);
  }
  std::printf("udp: target a killed: %d new flows until its ejection, %d lost; %d flows it had, %d of 30 lost\n", new_flows,
              new_lost, on_a, old_lost);
  EXPECT_EQ(new_lost, 0) << fulcrum->output();
  EXPECT_EQ(new_to_a, 0);
  EXPECT_EQ(old_lost, 0) << fulcrum->output();
  EXPECT_EQ(old_to_a, 0);
  // The access log's writer thread writes a flow's line some time after the flow ended.
  EXPECT_TRUE(fulcrum->wait_for_output("close=target_unreachable", 5s)) << "no new flow met the closed port\n"
                                                                         << fulcrum->output();
  EXPECT_TRUE(fulcrum->wait_for_output("close=target_unhealthy", 5s)) << "no flow moved off the ejected target\n"
                                                                       << fulcrum->output();
}

INSTANTIATE_TEST_SUITE_P(StreamProtocols, L4Failover, ::testing::Values("tcp", "tls"),
                         [](const auto& info) { return info.param; });

}  // namespace l4_failover_test
}  // namespace fulcrum::testing
