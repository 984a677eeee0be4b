// SocketStream over a real loopback TCP connection (plain), and the keep-alive pool holding
// SocketStreams: what the exchange relies on, without the exchange.
#include "http/stream/socket_stream.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "core/endpoint.hpp"
#include "http/stream/deadline_watch.hpp"
#include "http/target/upstream_pool.hpp"

namespace fulcrum::http {
namespace socket_stream_test {

using asio::ip::tcp;

// A connected pair on 127.0.0.1: `ours` as a SocketStream, `peer` as a plain socket.
struct Pair {
  asio::io_context loop;
  SocketStream ours{loop};
  tcp::socket peer{loop};
  core::Endpoint address;
  Pair() {
    tcp::acceptor acceptor(loop, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ours.socket().connect(acceptor.local_endpoint());
    acceptor.accept(peer);
    const auto remote = ours.socket().remote_endpoint();
    std::memcpy(&address.storage, remote.data(), remote.size());
    address.length = static_cast<socklen_t>(remote.size());
  }
  // Runs `body` as a coroutine on the loop until it ends.
  template <class Body>
  void run(Body body) {
    bool done = false;
    asio::co_spawn(loop, [&]() -> asio::awaitable<void> { co_await body(); done = true; }, asio::detached);
    while (!done) loop.run_one_for(std::chrono::milliseconds(100));
    loop.restart();
  }
  std::string peer_read(size_t n) {
    std::string data(n, '\0');
    asio::read(peer, asio::buffer(data));
    return data;
  }
};

TEST(SocketStream, WritesBothBuffersInOrderAndReadsWhatThePeerSends) {
  Pair p;
  EXPECT_FALSE(p.ours.secure());
  EXPECT_FALSE(p.ours.has_pending());
  p.run([&]() -> asio::awaitable<void> {
    const asio::error_code ec = co_await p.ours.write("GET / HTTP/1.1\r\n\r\n", "body");
    EXPECT_FALSE(ec);
  });
  EXPECT_EQ(p.peer_read(22), "GET / HTTP/1.1\r\n\r\nbody");
  asio::write(p.peer, asio::buffer(std::string("HTTP/1.1 200 OK\r\n")));
  p.run([&]() -> asio::awaitable<void> {
    char buffer[64];
    auto [ec, n] = co_await p.ours.read_some(buffer, sizeof buffer);
    EXPECT_FALSE(ec);
    EXPECT_EQ(std::string(buffer, n), "HTTP/1.1 200 OK\r\n");
  });
}

TEST(SocketStream, ShutdownSendEndsOurDirectionOnly) {
  Pair p;
  EXPECT_FALSE(p.ours.shutdown_send());
  char byte;
  asio::error_code ec;
  p.peer.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  asio::write(p.peer, asio::buffer(std::string("x")));
  p.run([&]() -> asio::awaitable<void> {
    char buffer[8];
    auto [read_ec, n] = co_await p.ours.read_some(buffer, sizeof buffer);
    EXPECT_FALSE(read_ec);
    EXPECT_EQ(n, 1u);
  });
}

TEST(SocketStream, ADeadlineCancelsAPendingReadAndTheStreamStaysOpen) {
  Pair p;
  DeadlineWatch watch(p.loop);
  watch.start();
  Deadline deadline(watch);
  p.run([&]() -> asio::awaitable<void> {
    deadline.arm(60, &p.ours);
    char buffer[8];
    auto [ec, n] = co_await p.ours.read_some(buffer, sizeof buffer);
    deadline.disarm();
    EXPECT_EQ(ec, asio::error::operation_aborted);
    EXPECT_TRUE(deadline.expired());
  });
  EXPECT_TRUE(p.ours.is_open());
  watch.stop();
}

TEST(SocketStream, StillIdleSeesStrayBytesAndClosesUnlessThePlainProbeIsSkipped) {
  Pair p;
  EXPECT_TRUE(p.ours.still_idle(false));
  asio::write(p.peer, asio::buffer(std::string("late")));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(p.ours.still_idle(false));
  EXPECT_TRUE(p.ours.still_idle(true));  // a plain connection given back a moment ago: trusted
  p.ours.close();
  EXPECT_FALSE(p.ours.is_open());
}

TEST(UpstreamPool, HandsBackALiveConnectionAndDiscardsOneThePeerClosed) {
  Pair p;
  UpstreamPool pool;
  balance::TargetCounters key;
  const int fd = p.ours.native_handle();
  pool.give_back(&key, p.address, std::move(p.ours), 4, 10'000, 0);
  EXPECT_EQ(pool.idle_count(), 1u);
  auto taken = pool.take(&key, p.address, 1, false);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->native_handle(), fd);
  pool.give_back(&key, p.address, std::move(*taken), 4, 10'000, 2);
  p.peer.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(pool.take(&key, p.address, 3, false).has_value());
  EXPECT_EQ(pool.stale_discarded(), 1u);
  EXPECT_EQ(pool.idle_count(), 0u);
}

}  // namespace socket_stream_test
}  // namespace fulcrum::http
