// The TCP (layer 4) balancer end to end: the real binary, real backend processes, real sockets.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>

#include "harness.hpp"

namespace fulcrum::testing {
namespace tcp_proxy_test {

std::string tcp_config(uint16_t port, const std::vector<std::string>& targets, const std::string& group_extra = "",
                       const std::string& listener_extra = "") {
  std::string yaml = "workers: 2\nshutdown_timeout: 5s\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" +
                     std::to_string(port) + "\n    protocol: tcp\n" + listener_extra +
                     "    default: { forward: pool }\ntarget_groups:\n  - name: pool\n    algorithm: round_robin\n" +
                     group_extra + "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  return yaml;
}

std::string random_bytes(size_t size, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

// Hex of the PROXY header the spec prescribes, built here independently of Fulcrum's code.
std::string hex_of(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(TcpProxy, RelaysOneMebibyteBothWaysByteExact) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}), port);

  int fd = connect_to(port);
  const std::string payload = random_bytes(1 << 20, 42);
  // Write and read at the same time: 1 MiB does not fit in socket buffers one way.
  std::thread writer([&] { send_all(fd, payload); });
  std::string echoed = read_exact(fd, payload.size(), 20s);
  writer.join();
  EXPECT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload) << "relayed bytes differ";
  ::close(fd);
  EXPECT_TRUE(fulcrum->wait_for_output("bytes_in=1048576", 5s)) << fulcrum->output();
  EXPECT_TRUE(fulcrum->wait_for_output("bytes_out=1048576", 5s)) << fulcrum->output();
}

TEST(TcpProxy, ClientVanishingDuringASplicedDownloadCostsOnlyItsConnection) {
  TempDir dir;
  Backend source(dir, "src", "source");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {source.address()}), port);
  for (int i = 0; i < 20; ++i) {
    int fd = connect_to(port);
    EXPECT_EQ(read_exact(fd, 256 * 1024).size(), 256u * 1024);  // bulk: the relay splices
    ::close(fd);  // gone while the target is still sending
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(fulcrum->running()) << "the process died: " << fulcrum->errors();
  int fd = connect_to(port);
  EXPECT_EQ(read_exact(fd, 1024).size(), 1024u);
  ::close(fd);
}

TEST(TcpProxy, ClientHalfCloseReachesTargetAndAnswerStillArrives) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}), port);

  int fd = connect_to(port);
  send_all(fd, "request before FIN");
  ::shutdown(fd, SHUT_WR);
  // The echo backend sees EOF only if our FIN was passed on; it then echoes and closes.
  EXPECT_EQ(read_to_eof(fd, 5s), "request before FIN");
  EXPECT_TRUE(backend.process.wait_for_output("client eof after 18 bytes"));
  ::close(fd);
}

TEST(TcpProxy, TargetHalfCloseReachesClientWhichCanStillSend) {
  TempDir dir;
  Backend backend(dir, "b1", "server-fin");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}), port);

  int fd = connect_to(port);
  // The target says hello and shuts down its side: we must see EOF after the greeting...
  EXPECT_EQ(read_to_eof(fd, 5s), "hello from b1\n");
  // ...while our direction stays open.
  send_all(fd, "late words");
  ::shutdown(fd, SHUT_WR);
  EXPECT_TRUE(backend.process.wait_for_output("received 10 bytes: late words")) << backend.process.output();
  ::close(fd);
}

TEST(TcpProxy, RoundRobinSpreadsConnectionsOverThreeTargets) {
  TempDir dir;
  Backend b1(dir, "b1", "greet"), b2(dir, "b2", "greet"), b3(dir, "b3", "greet");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {b1.address(), b2.address(), b3.address()}, "", ""), port);

  std::map<std::string, int> seen;
  for (int i = 0; i < 30; ++i) {
    int fd = connect_to(port);
    seen[read_line(fd)]++;
    ::close(fd);
  }
  EXPECT_EQ(seen.size(), 3u);
  // Both workers take their turns from the group's one counter (balance/shared_turns.hpp), so
  // 30 connections give 10 each; the bound only leaves room for a connection that was retried.
  for (const auto& [name, count] : seen) EXPECT_GE(count, 6) << name;
}

TEST(TcpProxy, RefusedTargetIsRetriedOnAnotherAndTheClientNoticesNothing) {
  TempDir dir;
  Backend alive(dir, "alive", "greet");
  std::string dead = "127.0.0.1:" + std::to_string(free_port());  // nothing listens here
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {dead, alive.address()}), port, {"--log-level", "debug"});

  for (int i = 0; i < 10; ++i) {
    int fd = connect_to(port);
    EXPECT_EQ(read_line(fd), "alive\n") << "connection " << i;
    ::close(fd);
  }
  EXPECT_TRUE(fulcrum->wait_for_output("connection refused", 2s, true)) << fulcrum->errors();
  EXPECT_TRUE(fulcrum->wait_for_output("attempts=2", 5s)) << fulcrum->output();
}

TEST(TcpProxy, UnresponsiveTargetTimesOutAndTheNextIsTried) {
  TempDir dir;
  // Accept queue of 0 that never accepts: SYNs beyond it are dropped, so connect hangs.
  Backend stuck(dir, "stuck", "echo", false, {"--backlog", "0"});
  Backend alive(dir, "alive", "greet");
  uint16_t port = free_port();
  // Fill the stuck backend's tiny queue so that our connects really hang.
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(stuck.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {stuck.address(), alive.address()}, "    connect_timeout: 300ms\n"), port,
                               {"--log-level", "debug"});
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) {
    int fd = connect_to(port);
    EXPECT_EQ(read_line(fd, 5s), "alive\n");
    ::close(fd);
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, 4s);
  EXPECT_TRUE(fulcrum->wait_for_output("connect timeout", 2s, true)) << fulcrum->errors();
  for (int fd : fillers) ::close(fd);
}

TEST(TcpProxy, AllTargetsDownClosesPromptlyAndLogsWhy) {
  TempDir dir;
  std::string dead1 = "127.0.0.1:" + std::to_string(free_port());
  std::string dead2 = "127.0.0.1:" + std::to_string(free_port());
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {dead1, dead2}), port);

  int fd = connect_to(port);
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(closed_within(fd, 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  ::close(fd);
  EXPECT_TRUE(fulcrum->wait_for_output("tcp.no_target", 2s, true));
  std::string log = fulcrum->errors();
  EXPECT_NE(log.find(dead1 + ": connection refused"), std::string::npos) << log;
  EXPECT_NE(log.find(dead2 + ": connection refused"), std::string::npos) << log;
}

TEST(TcpProxy, SendsProxyProtocolV1ExactlyAsSpecified) {
  TempDir dir;
  Backend backend(dir, "b1", "echo", true);
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}, "    proxy_protocol: v1\n"), port);

  int fd = connect_to(port);
  send_all(fd, "ping");
  EXPECT_EQ(read_exact(fd, 4), "ping");
  uint16_t client_port = local_port(fd);
  std::string expected = "PROXY TCP4 127.0.0.1 127.0.0.1 " + std::to_string(client_port) + " " + std::to_string(port) + "\r\n";
  EXPECT_TRUE(backend.process.wait_for_output("hex=" + hex_of(expected))) << backend.process.output();
  ::close(fd);
}

TEST(TcpProxy, ProxyHeaderOnAWildcardListenerNamesTheAddressTheClientReached) {
  TempDir dir;
  Backend backend(dir, "b1", "echo", true);
  uint16_t port = free_port();
  std::string yaml = tcp_config(port, {backend.address()}, "    proxy_protocol: v1\n");
  yaml.replace(yaml.find("listen: 127.0.0.1:"), 18, "listen: 0.0.0.0:");
  auto fulcrum = start_fulcrum(dir, yaml, port);
  int fd = connect_to(port);
  send_all(fd, "ping");
  EXPECT_EQ(read_exact(fd, 4), "ping");
  EXPECT_TRUE(backend.process.wait_for_output("dst=127.0.0.1:" + std::to_string(port))) << backend.process.output();
  ::close(fd);
}

TEST(TcpProxy, SendsProxyProtocolV2ExactlyAsSpecified) {
  TempDir dir;
  Backend backend(dir, "b1", "echo", true);
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}, "    proxy_protocol: v2\n"), port);

  int fd = connect_to(port);
  send_all(fd, "ping");
  EXPECT_EQ(read_exact(fd, 4), "ping");
  uint16_t client_port = local_port(fd);
  // Signature, v2 PROXY, TCP over IPv4, 12 address bytes, src, dst, sport, dport.
  std::string expected("\r\n\r\n\0\r\nQUIT\n", 12);
  expected += std::string("\x21\x11\x00\x0c", 4);
  expected += std::string("\x7f\x00\x00\x01\x7f\x00\x00\x01", 8);
  expected += static_cast<char>(client_port >> 8);
  expected += static_cast<char>(client_port & 0xff);
  expected += static_cast<char>(port >> 8);
  expected += static_cast<char>(port & 0xff);
  EXPECT_TRUE(backend.process.wait_for_output("hex=" + hex_of(expected))) << backend.process.output();
  ::close(fd);
}

TEST(TcpProxy, AcceptsProxyHeaderFromClientsAndRejectsMalformedOnesWhileServingOthers) {
  TempDir dir;
  Backend backend(dir, "b1", "echo", true);
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, tcp_config(port, {backend.address()}, "    proxy_protocol: v1\n", "    accept_proxy_protocol: true\n"), port);

  // A client that does not speak PROXY protocol: closed at once, logged.
  int bad = connect_to(port);
  send_all(bad, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(closed_within(bad, 2s));
  ::close(bad);
  // A malformed v1 header (port out of range).
  int bad2 = connect_to(port);
  send_all(bad2, "PROXY TCP4 192.0.2.1 192.0.2.2 99999 80\r\n");
  EXPECT_TRUE(closed_within(bad2, 2s));
  ::close(bad2);
  // A header split over two segments, followed by data in the same segment: served, and the
  // target learns the announced client address.
  int good = connect_to(port);
  send_all(good, "PROXY TCP4 192.0.2.10 ");
  std::this_thread::sleep_for(50ms);
  send_all(good, "198.51.100.1 40000 443\r\nhello");
  EXPECT_EQ(read_exact(good, 5), "hello");
  EXPECT_TRUE(backend.process.wait_for_output("proxy v1 src=192.0.2.10:40000 dst=198.51.100.1:443")) << backend.process.output();
  ::close(good);
  // A v2 header from a client.
  int good2 = connect_to(port);
  std::string v2("\r\n\r\n\0\r\nQUIT\n", 12);
  v2 += std::string("\x21\x11\x00\x0c\xc0\x00\x02\x07\xc6\x33\x64\x02\x1f\x90\x01\xbb", 16);
  send_all(good2, v2 + "again");
  EXPECT_EQ(read_exact(good2, 5), "again");
  EXPECT_TRUE(backend.process.wait_for_output("proxy v1 src=192.0.2.7:8080 dst=198.51.100.2:443")) << backend.process.output();
  ::close(good2);
  EXPECT_TRUE(fulcrum->wait_for_output("tcp.bad_proxy_header", 2s, true));
  EXPECT_TRUE(fulcrum->running());
}

TEST(TcpProxy, IdleTimeoutClosesSilentSessions) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}, "", "    idle_timeout: 300ms\n"), port);
  int fd = connect_to(port);
  send_all(fd, "x");
  EXPECT_EQ(read_exact(fd, 1), "x");
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(closed_within(fd, 3s));
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2s);
  ::close(fd);
  EXPECT_TRUE(fulcrum->wait_for_output("close=idle_timeout", 5s));
}

TEST(TcpProxy, SigtermStopsAcceptingLetsOpenConnectionsFinishThenExitsZero) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}), port);
  int fd = connect_to(port);
  send_all(fd, "before");
  EXPECT_EQ(read_exact(fd, 6), "before");

  fulcrum->signal(SIGTERM);
  ASSERT_TRUE(fulcrum->wait_for_output("fulcrum.stopping", 2s, true));
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(can_connect(port)) << "still accepting after SIGTERM";
  // The open connection keeps working while draining.
  send_all(fd, "during");
  EXPECT_EQ(read_exact(fd, 6), "during");
  EXPECT_TRUE(fulcrum->running());
  ::close(fd);
  auto code = fulcrum->wait(3s);
  ASSERT_TRUE(code.has_value()) << "did not exit after its last connection closed";
  EXPECT_EQ(*code, 0);
}

TEST(TcpProxy, ShutdownTimeoutBoundsTheDrain) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  uint16_t port = free_port();
  std::string yaml = tcp_config(port, {backend.address()});
  yaml.replace(yaml.find("shutdown_timeout: 5s"), 20, "shutdown_timeout: 500ms");
  auto fulcrum = start_fulcrum(dir, yaml, port);
  int fd = connect_to(port);
  send_all(fd, "x");
  EXPECT_EQ(read_exact(fd, 1), "x");
  auto started = std::chrono::steady_clock::now();
  fulcrum->signal(SIGTERM);
  auto code = fulcrum->wait(3s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);
  EXPECT_TRUE(closed_within(fd, 1s));
  ::close(fd);
}

TEST(TcpProxy, JsonLogFormat) {
  TempDir dir;
  Backend backend(dir, "b1", "echo");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, tcp_config(port, {backend.address()}), port, {"--log-format", "json"});
  int fd = connect_to(port);
  send_all(fd, "x");
  EXPECT_EQ(read_exact(fd, 1), "x");
  ::close(fd);
  EXPECT_TRUE(fulcrum->wait_for_output("\"event\":\"tcp.session\"", 5s)) << fulcrum->output();
  EXPECT_TRUE(fulcrum->wait_for_output("\"bytes_in\":1", 5s)) << fulcrum->output();
  EXPECT_TRUE(fulcrum->wait_for_output("{\"time\":", 2s, true)) << fulcrum->errors();
}

}  // namespace tcp_proxy_test
}  // namespace fulcrum::testing
