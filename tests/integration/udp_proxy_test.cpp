// `protocol: udp` listeners through the real binary, with real UDP backends
// (tests/support/udp_backend.cpp answers "NAME SRCPORT PAYLOAD": which target answered and from
// which of Fulcrum's flow sockets the datagram came).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace fulcrum::testing {
namespace udp_proxy_test {

struct UdpBackend {
  UdpBackend(const TempDir& dir, const std::string& name, const std::string& host = "127.0.0.1", uint16_t fixed_port = 0)
      : host(host),
        port(fixed_port != 0 ? fixed_port : free_port(SOCK_DGRAM)),
        process({build_path("udp_backend"), "--listen", host + ":" + std::to_string(port), "--name", name}, dir.path(),
                "udp-" + name) {
    EXPECT_TRUE(process.wait_for_output("listening")) << process.errors();
  }
  std::string address() const { return host + ":" + std::to_string(port); }
  std::string host;
  uint16_t port;
  Process process;
};

struct Reply {
  std::string target;
  std::string flow_port;  // the source port the target saw: one per flow
  std::string payload;
};

Reply parse(const std::string& text) {
  Reply reply;
  std::istringstream in(text);
  in >> reply.target >> reply.flow_port;
  std::getline(in >> std::ws, reply.payload);
  return reply;
}

// Opens flows (clients) until one lands on `target` (round robin: within a few); nullptr if none.
UdpClient* flow_on(const std::string& target, uint16_t port, std::vector<std::unique_ptr<UdpClient>>& clients) {
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<UdpClient>(port));
    if (parse(clients.back()->ask("x")).target == target) return clients.back().get();
  }
  return nullptr;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A UDP listener plus a TCP listener: the harness knows Fulcrum is up when the TCP port accepts.
std::string config_for(uint16_t udp_port, uint16_t tcp_port, const std::vector<std::string>& targets,
                       const std::string& extra = "", int workers = 2, const std::string& group_extra = "") {
  std::string yaml = "workers: " + std::to_string(workers) + "\nlisteners:\n  - name: dgram\n    listen: 127.0.0.1:" +
                     std::to_string(udp_port) + "\n    protocol: udp\n    default: { forward: pool }\n" + extra +
                     "  - name: ready\n    listen: 127.0.0.1:" + std::to_string(tcp_port) +
                     "\n    protocol: tcp\n    default: { forward: pool }\n"
                     "target_groups:\n  - name: pool\n    algorithm: round_robin\n" + group_extra + "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  return yaml;
}

TEST(UdpProxy, AFlowSticksToOneTargetAndOneSocket) {
  TempDir dir;
  UdpBackend a(dir, "a"), b(dir, "b");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, ready, {a.address(), b.address()}), ready);
  UdpClient client(port);
  Reply first = parse(client.ask("hello 0"));
  ASSERT_FALSE(first.target.empty()) << fulcrum->errors();
  EXPECT_EQ(first.payload, "hello 0");
  EXPECT_TRUE(client.last_reply_from(port));
  for (int i = 1; i < 20; ++i) {
    Reply next = parse(client.ask("hello " + std::to_string(i)));
    EXPECT_EQ(next.target, first.target);
    EXPECT_EQ(next.flow_port, first.flow_port);
    EXPECT_EQ(next.payload, "hello " + std::to_string(i));
  }
}

TEST(UdpProxy, FlowsSpreadAcrossTargets) {
  TempDir dir;
  UdpBackend a(dir, "a"), b(dir, "b"), c(dir, "c");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, ready, {a.address(), b.address(), c.address()}), ready);
  std::map<std::string, int> per_target;
  std::set<std::string> flow_ports;
  // Every client stays open: a closed one's port could come back to a later client (the
  // kernel picks UDP ports at random), which would be the same flow, not a new one.
  std::vector<std::unique_ptr<UdpClient>> clients;
  for (int i = 0; i < 30; ++i) {
    clients.push_back(std::make_unique<UdpClient>(port));  // a new client port: a new flow
    Reply reply = parse(clients.back()->ask("x"));
    ++per_target[reply.target];
    flow_ports.insert(reply.flow_port);
  }
  // Round robin over the group's one turn counter, shared by both workers: a third of the
  // flows each (10); the bound leaves room for a flow rerouted after a lost first datagram.
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_GE(per_target[name], 6) << name;
  }
  EXPECT_EQ(per_target[""], 0) << "lost replies";
  EXPECT_EQ(flow_ports.size(), 30u);  // one target-side socket per flow
}

TEST(UdpProxy, IdleFlowsExpireAndTheNextDatagramStartsANewFlow) {
  TempDir dir;
  UdpBackend a(dir, "a");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, ready, {a.address()}, "    idle_timeout: 300ms\n", 1), ready);
  UdpClient client(port);
  Reply first = parse(client.ask("one"));
  ASSERT_EQ(first.target, "a");
  // Activity within the timeout keeps the flow.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(150ms);
    EXPECT_EQ(parse(client.ask("keep")).flow_port, first.flow_port);
  }
  std::this_thread::sleep_for(900ms);
  // The flow's line (written by the access log's writer thread, some time after the flow ended):
  // it ended by its idle timeout, after all five datagrams, and it is the only flow that ended:
  // the activity kept it open.
  EXPECT_TRUE(fulcrum->wait_for_output("close=idle_timeout", 5s)) << fulcrum->output();
  EXPECT_TRUE(wait_for_count(*fulcrum, "udp.flow", 1)) << fulcrum->output();
  EXPECT_NE(fulcrum->output().find("datagrams_in=5 datagrams_out=5"), std::string::npos) << fulcrum->output();
  EXPECT_EQ(count_of(fulcrum->output(), "udp.flow"), 1) << fulcrum->output();
  Reply again = parse(client.ask("two"));
  EXPECT_EQ(again.target, "a");
  EXPECT_NE(again.flow_port, first.flow_port);
}

TEST(UdpProxy, TheFlowTableIsBoundedAndEvictsTheLeastRecentFlow) {
  TempDir dir;
  UdpBackend a(dir, "a");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, ready, {a.address()}, "    max_flows: 2\n", 1), ready);
  UdpClient first(port), second(port), third(port);
  Reply r1 = parse(first.ask("1"));
  Reply r2 = parse(second.ask("2"));
  EXPECT_EQ(parse(first.ask("1 again")).flow_port, r1.flow_port);  // second is now the oldest
  Reply r3 = parse(third.ask("3"));
  EXPECT_TRUE(fulcrum->wait_for_output("close=evicted", 5s)) << fulcrum->output();
  EXPECT_EQ(count_of(fulcrum->output(), "close=evicted"), 1);
  EXPECT_EQ(parse(first.ask("1 still")).flow_port, r1.flow_port);
  EXPECT_EQ(parse(third.ask("3 still")).flow_port, r3.flow_port);
  EXPECT_NE(parse(second.ask("2 back")).flow_port, r2.flow_port);  // a new flow
}

TEST(UdpProxy, ARemovedTargetGetsNoNewFlowsWhileItsFlowsEnd) {
  TempDir dir;
  auto a = std::make_unique<UdpBackend>(dir, "a");
  UdpBackend b(dir, "b");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  auto fulcrum = start_fulcrum(dir, config_for(port, ready, {a->address(), b.address()}, "", 1), ready);
  std::vector<std::unique_ptr<UdpClient>> clients;
  UdpClient* on_a = flow_on("a", port, clients);
  ASSERT_NE(on_a, nullptr);
  // a dies and leaves the configuration (SIGHUP reload); new flows all go to b.
  a.reset();
  dir.write("fulcrum.yaml", config_for(port, ready, {b.address()}, "", 1));
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(fulcrum->wait_for_output("config.reloaded", 5s, true)) << fulcrum->errors();
  std::vector<std::unique_ptr<UdpClient>> kept;  // open till the end: no client port comes back
  for (int i = 0; i < 10; ++i) {
    UdpClient& client = *kept.emplace_back(std::make_unique<UdpClient>(port));
    EXPECT_EQ(parse(client.ask("new")).target, "b");
  }
  // The flow stuck to dead a gets no answer; the ICMP error ends the flow, so the client's next
  // datagram starts a new flow, on b.
  EXPECT_EQ(on_a->ask("lost", 300ms), "");
  EXPECT_TRUE(fulcrum->wait_for_output("close=target_unreachable", 5s)) << fulcrum->output();
  EXPECT_EQ(parse(on_a->ask("retry")).target, "b");
}

// Draining, as for TCP: a flow to a deregistered target goes on during deregistration_delay,
// then the flow is ended and the client's next datagram starts a new flow elsewhere.
TEST(UdpProxy, FlowsToADeregisteredTargetEndWhenItsDelayRunsOut) {
  TempDir dir;
  UdpBackend a(dir, "a");
  UdpBackend b(dir, "b");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  const std::string delay = "    deregistration_delay: 1s\n";
  auto fulcrum = start_fulcrum(dir, config_for(port, ready, {a.address(), b.address()}, "", 1, delay), ready);
  std::vector<std::unique_ptr<UdpClient>> clients;
  UdpClient* on_a = flow_on("a", port, clients);
  ASSERT_NE(on_a, nullptr);
  const std::string first_flow = parse(on_a->ask("still")).flow_port;
  dir.write("fulcrum.yaml", config_for(port, ready, {b.address()}, "", 1, delay));
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(fulcrum->wait_for_output("config.reloaded", 5s, true)) << fulcrum->errors();
  // Draining: the open flow still reaches a, on the same flow socket; new flows go to b.
  const Reply during = parse(on_a->ask("draining"));
  EXPECT_EQ(during.target, "a");
  EXPECT_EQ(during.flow_port, first_flow);
  UdpClient newcomer(port);
  EXPECT_EQ(parse(newcomer.ask("new")).target, "b");
  // The delay runs out: the flow is ended (and logged as such), the next datagram goes to b.
  EXPECT_TRUE(fulcrum->wait_for_output("close=deregistered", 5s)) << fulcrum->output();
  EXPECT_EQ(parse(on_a->ask("after")).target, "b");
}

// Passive health without any active check: datagrams to a dead target come back as ICMP
// "port unreachable", which counts as a refused connection; after consecutive_failures the
// target is ejected and new flows avoid it.
TEST(UdpProxy, ICMPErrorsFromADeadTargetEjectIt) {
  TempDir dir;
  UdpBackend a(dir, "a");
  auto b = std::make_unique<UdpBackend>(dir, "b");
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      config_for(port, ready, {a.address(), b->address()}, "", 1,
                 "    outlier_detection: { consecutive_failures: 2, base_ejection_time: 30s, max_ejection_percent: 50 }\n"),
      ready);
  b.reset();
  // Flows that land on b meet the ICMP error, which counts against b; their first datagram,
  // kept until an answer, goes to a instead, so none is lost (before, each was).
  int lost = 0;
  std::vector<std::unique_ptr<UdpClient>> kept;  // open till the end: no client port comes back
  for (int i = 0; i < 8 && fulcrum->errors().find("to=unhealthy") == std::string::npos; ++i) {
    UdpClient& client = *kept.emplace_back(std::make_unique<UdpClient>(port));
    if (client.ask("one", 200ms).empty()) {
      ++lost;
      client.ask("two", 100ms);
    }
  }
  EXPECT_EQ(lost, 0);
  ASSERT_TRUE(fulcrum->wait_for_output("to=unhealthy", 3s, true)) << fulcrum->errors();
  EXPECT_NE(fulcrum->errors().find("connection refused"), std::string::npos) << fulcrum->errors();
  std::this_thread::sleep_for(50ms);
  for (int i = 0; i < 10; ++i) {
    UdpClient& client = *kept.emplace_back(std::make_unique<UdpClient>(port));
    EXPECT_EQ(parse(client.ask("new")).target, "a");
  }
}

// Health checks of UDP targets through an associated TCP check (health_check.port): each
// target host runs a UDP service and a TCP service on the check port. When b's TCP service
// dies, b is marked unhealthy and new flows all go to a, while b's existing flow stays.
TEST(UdpProxy, ATargetFailingItsHealthCheckGetsNoNewFlows) {
  TempDir dir;
  uint16_t udp = free_port(SOCK_DGRAM), check = free_port(), port = free_port(SOCK_DGRAM), ready = free_port();
  UdpBackend a(dir, "a", "127.0.0.2", udp), b(dir, "b", "127.0.0.3", udp);
  auto check_process = [&](const std::string& host, const std::string& name) {
    auto process = std::make_unique<Process>(
        std::vector<std::string>{build_path("test_backend"), "--listen", host + ":" + std::to_string(check), "--name",
                                 name, "--mode", "echo"},
        dir.path(), "check-" + name);
    EXPECT_TRUE(process->wait_for_output("listening")) << process->errors();
    return process;
  };
  auto check_a = check_process("127.0.0.2", "a");
  auto check_b = check_process("127.0.0.3", "b");
  auto fulcrum = start_fulcrum(
      dir,
      config_for(port, ready, {a.address(), b.address()}, "", 1,
                 "    health_check: { protocol: tcp, port: " + std::to_string(check) +
                     ", interval: 1s, timeout: 300ms, healthy_threshold: 1, unhealthy_threshold: 1 }\n"),
      ready);
  // Both healthy after their first check (before it, the group fails open: both take flows
  // whatever their checks say, which is not what this test is about).
  auto marked = [&](const std::string& state, const UdpBackend& target) {
    for (const auto& line : lines_of(fulcrum->errors())) {
      if (line.find("to=" + state) != std::string::npos && line.find(target.address()) != std::string::npos) return true;
    }
    return false;
  };
  auto wait_marked = [&](const std::string& state, const UdpBackend& target) {
    auto until = std::chrono::steady_clock::now() + 3s;
    while (!marked(state, target) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    return marked(state, target);
  };
  ASSERT_TRUE(wait_marked("healthy", a)) << fulcrum->errors();
  ASSERT_TRUE(wait_marked("healthy", b)) << fulcrum->errors();
  std::map<std::string, int> seen;
  std::vector<std::unique_ptr<UdpClient>> clients;
  UdpClient* on_b = nullptr;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((seen["a"] == 0 || !on_b) && std::chrono::steady_clock::now() < deadline) {
    clients.push_back(std::make_unique<UdpClient>(port));
    std::string target = parse(clients.back()->ask("x")).target;
    ++seen[target];
    if (target == "b") on_b = clients.back().get();
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(on_b, nullptr) << fulcrum->errors();
  ASSERT_GT(seen["a"], 0);
  check_b->signal(SIGKILL);
  ASSERT_TRUE(wait_marked("unhealthy", b)) << fulcrum->errors();
  std::this_thread::sleep_for(50ms);  // the snapshot reaches the worker
  std::vector<std::unique_ptr<UdpClient>> kept;  // open till the end: no client port comes back
  for (int i = 0; i < 12; ++i) {
    UdpClient& client = *kept.emplace_back(std::make_unique<UdpClient>(port));
    EXPECT_EQ(parse(client.ask("new")).target, "a");
  }
  // The flow that started on b keeps going there: b still answers UDP, only its check died.
  EXPECT_EQ(parse(on_b->ask("old")).target, "b");
}

// A UDP health check: a datagram out, a reply that must contain the expected bytes back.
TEST(UdpProxy, UdpHealthChecksAskForAReplyAndJudgeIt) {
  TempDir dir;
  uint16_t port = free_port(SOCK_DGRAM), ready = free_port();
  UdpBackend a(dir, "a", "127.0.0.2"), b(dir, "b", "127.0.0.3");
  // The name-mode backend answers "NAME SRCPORT PAYLOAD": the payload comes back.
  auto config = [&](const std::string& expect) {
    return config_for(port, ready, {a.address(), b.address()}, "", 1,
                      "    health_check: { protocol: udp, send: \"ping\\x21\", expect: \"" + expect +
                          "\", interval: 1s, timeout: 300ms, healthy_threshold: 1, unhealthy_threshold: 1 }\n");
  };
  auto fulcrum = start_fulcrum(dir, config("ping!"), ready);
  auto wait_for = [&](const std::string& needle) {
    auto until = std::chrono::steady_clock::now() + 4s;
    while (fulcrum->errors().find(needle) == std::string::npos && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(10ms);
    }
    return fulcrum->errors().find(needle) != std::string::npos;
  };
  EXPECT_TRUE(wait_for("target=" + a.address() + " from=initial to=healthy code=Elb.HealthChecksPassed "
                       "reason=\"first check passed (replied with"))
      << fulcrum->errors();
  ASSERT_TRUE(wait_for("target=" + b.address() + " from=initial to=healthy")) << fulcrum->errors();
  // A target that stops listening answers with ICMP port unreachable.
  b.process.signal(SIGKILL);
  EXPECT_TRUE(wait_for("target=" + b.address() + " from=healthy to=unhealthy code=Target.FailedConnection "
                       "reason=\"port unreachable\""))
      << fulcrum->errors();
  // Replies without the expected bytes fail the check, and the reason shows what came back.
  dir.write("fulcrum.yaml", config("pong"));
  fulcrum->signal(SIGHUP);
  EXPECT_TRUE(wait_for("target=" + a.address() + " from=healthy to=unhealthy code=Target.ResponseCodeMismatch "
                       "reason=\"reply without the expected bytes: \\\"a "))
      << fulcrum->errors();
}

}  // namespace udp_proxy_test
}  // namespace fulcrum::testing
