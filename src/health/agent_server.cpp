#include "health/agent_server.hpp"

#include <sys/socket.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <cstring>
#include <functional>

#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "health/agent_state_file.hpp"
#include "health/proc_sampler.hpp"

namespace fulcrum::health {
namespace {

class Agent {
 public:
  Agent(asio::io_context& loop, const AgentOptions& options)
      : loop_(loop), options_(options), acceptor_(loop), timer_(loop), sampler_(options.proc_root),
        state_(options.state_file) {}

  bool listen(const core::Endpoint& address, std::string& error) {
    asio::ip::tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), address.address(), address.length);
    asio::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      error = "cannot listen on " + address.to_string() + ": " + ec.message();
      return false;
    }
    return true;
  }

  asio::ip::tcp::endpoint local() const {
    asio::error_code ignored;
    return acceptor_.local_endpoint(ignored);
  }

  void start() {
    sample();
    accept();
  }

  void close() {
    asio::error_code ignored;
    acceptor_.close(ignored);
    timer_.cancel();
  }

 private:
  void sample() {
    HostLoad load = sampler_.sample();
    if (!load.ok && load.error != last_error_) {
      core::LogLine(core::LogLevel::warn, "agent.sample_failed").field("reason", load.error).emit();
    }
    last_error_ = load.error;
    if (load.ok) load_ = load;
    timer_.expires_after(options_.sample_interval);
    timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) sample();
    });
  }

  std::string reply() {
    AgentWord word = state_.current();
    std::string line = format_agent_reply(word, load_.cpu_percent, load_.mem_percent);
    if (!state_.comment().empty()) line.insert(line.size() - 1, " # " + state_.comment());
    return line;
  }

  void accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        // One short line fits in any socket buffer: a non-blocking send is complete or the
        // peer is gone. Then close: the protocol is one line per connection.
        std::string line = reply();
        ::send(socket.native_handle(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        asio::error_code ignored;
        socket.shutdown(asio::socket_base::shutdown_send, ignored);
        socket.close(ignored);
      }
      accept();
    });
  }

  asio::io_context& loop_;
  AgentOptions options_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer timer_;
  ProcSampler sampler_;
  AgentStateFile state_;
  HostLoad load_;
  std::string last_error_;
};

}  // namespace

int run_agent(const AgentOptions& options) {
  core::EndpointError parse_error;
  auto address = core::parse_endpoint(options.listen, parse_error, true);
  if (!address) {
    core::LogLine(core::LogLevel::error, "agent.start_failed")
        .field("listen", options.listen)
        .field("reason", parse_error.message)
        .emit();
    return 1;
  }
  asio::io_context loop(1);
  Agent agent(loop, options);
  std::string error;
  if (!agent.listen(*address, error)) {
    core::LogLine(core::LogLevel::error, "agent.start_failed").field("reason", error).emit();
    return 1;
  }
  asio::signal_set stop(loop, SIGTERM, SIGINT);
  stop.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    agent.close();
  });
  agent.start();
  auto local = agent.local();
  core::LogLine(core::LogLevel::info, "agent.start")
      .field("listen", local.address().to_string() + ":" + std::to_string(local.port()))
      .field("state_file", options.state_file)
      .field("proc", options.proc_root)
      .field("sample_interval_ms", static_cast<int64_t>(options.sample_interval.count()))
      .emit();
  loop.run();
  core::log_message(core::LogLevel::info, "agent.stopped", "bye");
  return 0;
}

}  // namespace fulcrum::health
