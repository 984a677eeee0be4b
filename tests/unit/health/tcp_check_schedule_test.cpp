// TcpCheckSchedule against real sockets on 127.0.0.1: a listener passes, a closed port is
// refused, a listener whose accept queue is full never answers (timeout), checks repeat on
// their interval without piling up, removal (also from inside a verdict) stops them, and a socket
// reused after a passed check still tells a listener that went away.
#include "health/tcp_check_schedule.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

namespace fulcrum::health {
namespace tcp_check_schedule_test {

using namespace std::chrono_literals;
using Clock = TcpCheckSchedule::Clock;

// A listening socket on 127.0.0.1 (closed when the test ends).
struct Listener {
  explicit Listener(int backlog = 16) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::listen(fd, backlog), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
  asio::ip::tcp::endpoint endpoint() const { return {asio::ip::address_v4::loopback(), port}; }
  int fd;
  uint16_t port;
};

struct Verdicts {
  std::vector<CheckOutcome> seen;
  TcpCheckSchedule::Done recorder() {
    return [this](CheckOutcome outcome) { seen.push_back(std::move(outcome)); };
  }
};

void run_for(asio::io_context& loop, std::chrono::milliseconds how_long) {
  loop.restart();
  loop.run_for(how_long);
}

TEST(TcpCheckSchedule, AListenerPassesAndAClosedPortIsRefused) {
  asio::io_context loop;
  TcpCheckSchedule schedule(loop, 10ms);
  Listener open;
  asio::ip::tcp::endpoint closed = [] {
    Listener gone;
    return gone.endpoint();
  }();
  Verdicts up, down;
  schedule.add(open.endpoint(), 10s, 500ms, Clock::now(), up.recorder());
  schedule.add(closed, 10s, 500ms, Clock::now(), down.recorder());
  run_for(loop, 100ms);
  ASSERT_EQ(up.seen.size(), 1u);
  EXPECT_TRUE(up.seen[0].ok);
  EXPECT_EQ(up.seen[0].reason, "connected");
  ASSERT_EQ(down.seen.size(), 1u);
  EXPECT_FALSE(down.seen[0].ok);
  EXPECT_EQ(down.seen[0].reason_code, "Target.FailedConnection");
  EXPECT_EQ(down.seen[0].reason, "connection refused");
}

TEST(TcpCheckSchedule, AListenerWithAFullAcceptQueueTimesOut) {
  asio::io_context loop;
  TcpCheckSchedule schedule(loop, 10ms);
  Listener full(0);
  // Fill the accept queue (nobody accepts): the kernel then drops new SYNs.
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(full.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(fd);
  }
  run_for(loop, 50ms);  // the fillers' handshakes complete
  Verdicts verdicts;
  const auto started = Clock::now();
  schedule.add(full.endpoint(), 10s, 200ms, Clock::now(), verdicts.recorder());
  run_for(loop, 600ms);
  for (int fd : fillers) ::close(fd);
  ASSERT_EQ(verdicts.seen.size(), 1u);
  EXPECT_EQ(verdicts.seen[0].reason_code, "Target.Timeout");
  EXPECT_EQ(verdicts.seen[0].reason, "no answer within 200ms");
  EXPECT_GE(Clock::now() - started, 200ms);
}

TEST(TcpCheckSchedule, ChecksRepeatOnTheirIntervalAndStopWhenRemoved) {
  asio::io_context loop;
  TcpCheckSchedule schedule(loop, 10ms);
  Listener open;
  Verdicts verdicts;
  const uint64_t id = schedule.add(open.endpoint(), 50ms, 40ms, Clock::now(), verdicts.recorder());
  run_for(loop, 500ms);
  // One check per 50 ms: about 10 in 500 ms (wake-ups on a busy machine may skip, never pile up).
  EXPECT_GE(verdicts.seen.size(), 5u);
  EXPECT_LE(verdicts.seen.size(), 11u);
  schedule.remove(id);
  EXPECT_EQ(schedule.size(), 0u);
  const size_t before = verdicts.seen.size();
  run_for(loop, 200ms);
  EXPECT_EQ(verdicts.seen.size(), before);
}

// Passed checks hand their (disconnected) socket to the next check: the next verdicts must
// still be the target's, up and then down, on IPv4 and IPv6 alike.
TEST(TcpCheckSchedule, ReusedSocketsStillSeeAListenerGo) {
  asio::io_context loop;
  TcpCheckSchedule schedule(loop, 10ms);
  auto open = std::make_unique<Listener>();
  const auto v4 = open->endpoint();
  int v6_fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 v6_address{};
  v6_address.sin6_family = AF_INET6;
  v6_address.sin6_addr = in6addr_loopback;
  const bool have_v6 = ::bind(v6_fd, reinterpret_cast<sockaddr*>(&v6_address), sizeof v6_address) == 0 &&
                       ::listen(v6_fd, 16) == 0;
  socklen_t length = sizeof v6_address;
  ::getsockname(v6_fd, reinterpret_cast<sockaddr*>(&v6_address), &length);
  const asio::ip::tcp::endpoint v6(asio::ip::address_v6::loopback(), ntohs(v6_address.sin6_port));
  Verdicts on_v4, on_v6;
  schedule.add(v4, 30ms, 25ms, Clock::now(), on_v4.recorder());
  if (have_v6) schedule.add(v6, 30ms, 25ms, Clock::now(), on_v6.recorder());
  run_for(loop, 300ms);
  ASSERT_GE(on_v4.seen.size(), 4u);
  for (const auto& verdict : on_v4.seen) EXPECT_TRUE(verdict.ok) << verdict.reason;
  if (have_v6) {
    ASSERT_GE(on_v6.seen.size(), 4u);
    for (const auto& verdict : on_v6.seen) EXPECT_TRUE(verdict.ok) << verdict.reason;
  }
  open.reset();
  ::close(v6_fd);
  const size_t v4_before = on_v4.seen.size(), v6_before = on_v6.seen.size();
  run_for(loop, 300ms);
  ASSERT_GE(on_v4.seen.size(), v4_before + 4);
  EXPECT_FALSE(on_v4.seen.back().ok);
  EXPECT_EQ(on_v4.seen.back().reason, "connection refused");
  if (have_v6) {
    ASSERT_GE(on_v6.seen.size(), v6_before + 4);
    EXPECT_FALSE(on_v6.seen.back().ok);
    EXPECT_EQ(on_v6.seen.back().reason, "connection refused");
  }
}

TEST(TcpCheckSchedule, AVerdictMayRemoveItsOwnAndOtherChecks) {
  asio::io_context loop;
  TcpCheckSchedule schedule(loop, 10ms);
  Listener open;
  int calls = 0;
  uint64_t first = 0, second = 0;
  auto remove_both = [&](CheckOutcome) {
    ++calls;
    schedule.remove(first);
    schedule.remove(second);
  };
  first = schedule.add(open.endpoint(), 20ms, 15ms, Clock::now(), remove_both);
  second = schedule.add(open.endpoint(), 20ms, 15ms, Clock::now(), remove_both);
  run_for(loop, 200ms);
  EXPECT_EQ(calls, 1);  // the first verdict removed both: the second never came
  EXPECT_EQ(schedule.size(), 0u);
}

}  // namespace tcp_check_schedule_test
}  // namespace fulcrum::health
