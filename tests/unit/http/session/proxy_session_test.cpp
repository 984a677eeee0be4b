// The HTTP/1.1 session in-process: http_accept_loop on a loopback socket of one worker, a small
// target on another, and a plain blocking client. What the session itself decides (keep-alive,
// pipelined requests answered in order, the head's deadline, a refused head closing the
// connection) without the fulcrum binary.
#include "http/session/proxy_session.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "config/config_loader.hpp"
#include "core/worker.hpp"
#include "http/session/http_worker.hpp"
#include "upstream/target_registry.hpp"
#include "upstream/worker_home.hpp"

namespace fulcrum::http {
namespace proxy_session_test {

using asio::ip::tcp;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// A target that answers every request head on a connection with 200 "ok", keep-alive.
asio::awaitable<void> serve_target(tcp::socket socket) {
  std::string buffer;
  char chunk[4096];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
    if (ec) co_return;
    buffer.append(chunk, n);
    for (size_t end; (end = buffer.find("\r\n\r\n")) != std::string::npos;) {
      buffer.erase(0, end + 4);
      const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(response), use_tuple);
      if (write_ec) co_return;
    }
  }
}

asio::awaitable<void> accept_targets(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(acceptor.get_executor(), serve_target(std::move(socket)), asio::detached);
  }
}

// One worker running the HTTP proxy on its own thread, listener 0 on `port()`.
class Proxy {
 public:
  explicit Proxy(const std::string& listener_extra = "") : worker_(0), home_(worker_), http_(home_) {
    io_ = std::make_unique<Io>(worker_.loop());
    const uint16_t target_port = io_->targets.local_endpoint().port();
    auto result = config::load_config_text(
        "listeners:\n  - name: web\n    listen: 127.0.0.1:1\n    protocol: http\n" + listener_extra +
            "    default: { forward: app }\ntarget_groups:\n  - name: app\n    targets: [ { address: 127.0.0.1:" +
            std::to_string(target_port) + " } ]\n",
        "test.yaml");
    EXPECT_TRUE(result.config.has_value());
    const auto snapshot = registry_.build(std::make_shared<const config::Config>(std::move(*result.config)), 0);
    home_.upstreams.install(snapshot);
    http_.install(snapshot);
    asio::co_spawn(worker_.loop(), accept_targets(io_->targets), asio::detached);
    asio::co_spawn(worker_.loop(), http_accept_loop(http_, io_->listener, 0), asio::detached);
    worker_.start();
  }
  ~Proxy() {
    worker_.stop();
    worker_.join();
    http_.release_io();
    io_.reset();
    worker_.destroy_loop();
  }
  uint16_t port() const { return io_->listener.local_endpoint().port(); }

 private:
  struct Io {
    explicit Io(asio::io_context& loop)
        : listener(loop, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          targets(loop, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
    tcp::acceptor listener;
    tcp::acceptor targets;
  };
  core::Worker worker_;
  upstream::WorkerHome home_;
  HttpWorker http_;
  upstream::TargetRegistry registry_;
  std::unique_ptr<Io> io_;
};

// A blocking client on its own io_context.
struct SocketClient {
  asio::io_context io;
  tcp::socket socket{io};
  asio::streambuf in;
  explicit SocketClient(uint16_t port) { socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)); }
  void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  // One response with a Content-Length body: its head line and body.
  std::string response() {
    asio::read_until(socket, in, "\r\n\r\n");
    std::string all(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
    const size_t end = all.find("\r\n\r\n") + 4;
    const size_t at = all.find("Content-Length: ");
    const size_t length = at < end ? std::stoul(all.substr(at + 16)) : 0;
    if (in.size() < end + length) asio::read(socket, in, asio::transfer_exactly(end + length - in.size()));
    all.assign(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
    in.consume(end + length);
    return all.substr(0, all.find("\r\n")) + " " + all.substr(end, length);
  }
  // Whether the proxy closed the connection (EOF, or a reset) before sending anything more.
  bool closed() {
    if (in.size() > 0) return false;
    char byte;
    asio::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
};

TEST(ProxySession, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  Proxy proxy;
  SocketClient client(proxy.port());
  client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.response(), "HTTP/1.1 200 OK ok");
  client.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");  // one write, two requests
  EXPECT_EQ(client.response(), "HTTP/1.1 200 OK ok");
  EXPECT_EQ(client.response(), "HTTP/1.1 200 OK ok");
  client.send("GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(client.response(), "HTTP/1.1 200 OK ok");
  EXPECT_TRUE(client.closed());
}

TEST(ProxySession, AHeadThatDoesNotArriveInTimeIs408AndClosed) {
  Proxy proxy("    client_header_timeout: 200ms\n");
  SocketClient client(proxy.port());
  client.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finished
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(client.response().substr(0, 12), "HTTP/1.1 408");
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(100));
  EXPECT_TRUE(client.closed());
}

TEST(ProxySession, ASmugglingHeadIsRefusedAndTheConnectionEnds) {
  Proxy proxy;
  SocketClient client(proxy.port());
  client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(client.response().substr(0, 12), "HTTP/1.1 400");
  EXPECT_TRUE(client.closed());
}

}  // namespace proxy_session_test
}  // namespace fulcrum::http
