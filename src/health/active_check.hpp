#pragma once
// One active check of one target, as a coroutine on the control thread's loop: http/https
// (GET path, compare the status line with the matcher), agent (read one line of the
// agent-check protocol), udp (a datagram and its reply). Plain tcp checks do not come here:
// TcpCheckSchedule runs them in batches. Bounded by the check's timeout; sockets are closed
// with a reset (SO_LINGER 0), as HAProxy does, so 1,000 targets checked every second leave no
// TIME_WAIT behind on the balancer. http(s) checks keep their connection for the next check
// when the answer's framing allows (Content-Length up to 64 KiB, no "Connection: close").
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/status_matcher.hpp"
#include "health/check_outcome.hpp"

namespace fulcrum::health {

struct CheckSpec {
  config::HealthProtocol protocol = config::HealthProtocol::tcp;
  asio::ip::tcp::endpoint address;  // the port to check (health_check.port / agent_port / traffic port)
  std::string path = "/";
  std::string host;          // Host header (and SNI for https)
  config::StatusMatcher matcher;
  std::string matcher_text;  // for the reason sentence
  std::chrono::milliseconds timeout{2000};
  std::string send;    // udp: the datagram
  std::string expect;  // udp: bytes the reply must contain (empty: any reply)
};

// The connection an http(s) check keeps for the next one (HTTP/1.1 keep-alive); tcp and agent
// checks open a new connection every time (the connect is what they test).
struct CheckConnection {
  std::optional<asio::ip::tcp::socket> plain;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls;
  void reset();
  ~CheckConnection();
};

// `tls` is used by https checks only (may be null otherwise). `timer` bounds the check (the
// caller's, idle meanwhile: no timer is made per check). `connection` is the probe's own.
asio::awaitable<CheckOutcome> run_check(const CheckSpec& spec, asio::ssl::context* tls, asio::steady_timer& timer,
                                        CheckConnection& connection);

}  // namespace fulcrum::health
