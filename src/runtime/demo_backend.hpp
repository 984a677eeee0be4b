#pragma once
// A tiny backend for the demo: answers each HTTP request with its own name (keep-alive), and
// answers any other input line with its name and the line, so both curl and nc show which
// target the balancer picked.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <string>

namespace fulcrum::runtime {

class DemoBackend {
 public:
  DemoBackend(asio::io_context& loop, std::string name);
  // Binds 127.0.0.1 on a free port; returns "127.0.0.1:PORT".
  std::string bind();
  void start();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  asio::io_context& loop_;
  std::string name_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace fulcrum::runtime
