#include "health/active_check.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace fulcrum::health {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
using Socket = asio::ip::tcp::socket;
constexpr auto use_tuple = as_tuple(asio::use_awaitable);
constexpr size_t kMaxLine = 1024;  // a status line or an agent line longer than this is refused

CheckOutcome failed(std::string code, std::string reason) {
  return CheckOutcome{false, std::move(code), std::move(reason), std::nullopt};
}

std::string describe(const asio::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::connection_reset) return "connection reset";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  if (ec == asio::error::eof) return "closed before answering";
  return ec.message();
}

std::string format_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

// Reads until a line ends (or EOF for agents, whose line may lack its newline).
template <typename Stream>
asio::awaitable<std::pair<asio::error_code, std::string>> read_line(Stream& stream, bool eof_ends_line) {
  std::array<char, kMaxLine> buffer;
  size_t used = 0;
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer.data() + used, buffer.size() - used), use_tuple);
    used += n;
    std::string_view text(buffer.data(), used);
    if (size_t end = text.find('\n'); end != std::string_view::npos) co_return std::pair{asio::error_code{}, std::string(text.substr(0, end))};
    if (ec) {
      const bool ended = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
      if (ended && eof_ends_line && used > 0) co_return std::pair{asio::error_code{}, std::string(text)};
      co_return std::pair{ec, std::string()};
    }
    if (used == buffer.size()) co_return std::pair{asio::error::message_size, std::string()};
  }
}

template <typename Stream>
asio::awaitable<CheckOutcome> http_exchange(Stream& stream, const CheckSpec& spec) {
  std::string request = "GET " + spec.path + " HTTP/1.1\r\nHost: " + spec.host +
                        "\r\nUser-Agent: fulcrum-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
  if (write_ec) co_return failed("Target.FailedHealthChecks", "sending the request: " + describe(write_ec));
  auto [read_ec, line] = co_await read_line(stream, false);
  if (read_ec) {
    co_return failed("Target.FailedHealthChecks", read_ec == asio::error::message_size
                                                      ? "status line longer than 1 KiB"
                                                      : "reading the answer: " + describe(read_ec));
  }
  // "HTTP/1.1 200 OK"
  std::string_view text(line);
  if (text.size() < 12 || !text.starts_with("HTTP/1.") || text[8] != ' ' || text[9] < '1' || text[9] > '5' ||
      text[10] < '0' || text[10] > '9' || text[11] < '0' || text[11] > '9') {
    std::string shown(text.substr(0, 40));
    for (char& c : shown) c = (c < 32 || c > 126) ? '?' : c;
    co_return failed("Target.FailedHealthChecks", "not an HTTP answer: \"" + shown + "\"");
  }
  const uint32_t status = static_cast<uint32_t>((text[9] - '0') * 100 + (text[10] - '0') * 10 + (text[11] - '0'));
  if (!spec.matcher.matches(status)) {
    co_return failed("Target.ResponseCodeMismatch",
                     "got " + std::to_string(status) + ", expected " + spec.matcher_text);
  }
  co_return CheckOutcome{true, "", "answered " + std::to_string(status), std::nullopt};
}

asio::awaitable<CheckOutcome> attempt(const CheckSpec& spec, asio::ssl::context* tls) {
  // Our own non-blocking connect (as l4's connector): Asio's async_connect would add an
  // ioctl(FIONBIO) and a poll() to every check.
  Socket socket(co_await asio::this_coro::executor);
  asio::error_code ec;
  int fd = ::socket(spec.address.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) co_return failed("Elb.InternalError", std::string("socket: ") + std::strerror(errno));
  socket.assign(spec.address.protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    co_return failed("Elb.InternalError", "socket: " + ec.message());
  }
  // Closed with RST (SO_LINGER 0): no TIME_WAIT left behind by 1,000 checks a second.
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  if (::connect(fd, spec.address.data(), static_cast<socklen_t>(spec.address.size())) != 0) {
    if (errno != EINPROGRESS) co_return failed("Target.FailedConnection", describe(asio::error_code(errno, asio::system_category())));
    auto [wait_ec] = co_await socket.async_wait(Socket::wait_write, use_tuple);
    if (wait_ec) co_return failed("Target.FailedConnection", describe(wait_ec));
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) co_return failed("Target.FailedConnection", describe(asio::error_code(error, asio::system_category())));
  }
  if (spec.protocol != config::HealthProtocol::tcp) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  switch (spec.protocol) {
    case config::HealthProtocol::tcp:
      co_return CheckOutcome{true, "", "connected", std::nullopt};
    case config::HealthProtocol::http:
      co_return co_await http_exchange(socket, spec);
    case config::HealthProtocol::https: {
      asio::ssl::stream<Socket> stream(std::move(socket), *tls);
      // SNI only for names: RFC 6066 forbids literal addresses in server_name.
      const std::string& host = spec.host;
      const bool is_name = !host.empty() && host.find_first_not_of("0123456789.:[]") != std::string::npos;
      if (is_name) {
        std::string name = host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
        SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
      }
      auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (handshake_ec) co_return failed("Target.FailedHealthChecks", "TLS handshake: " + describe(handshake_ec));
      co_return co_await http_exchange(stream, spec);
    }
    case config::HealthProtocol::agent: {
      auto [read_ec, line] = co_await read_line(socket, true);
      if (read_ec) co_return failed("Target.FailedHealthChecks", "agent: " + describe(read_ec));
      CheckOutcome outcome{true, "", "agent said: " + line, parse_agent_reply(line)};
      co_return outcome;
    }
  }
  co_return failed("Elb.InternalError", "unknown check protocol");
}

}  // namespace

asio::awaitable<CheckOutcome> run_check(const CheckSpec& spec, asio::ssl::context* tls, asio::steady_timer& timer) {
  timer.expires_after(spec.timeout);
  auto result = co_await (attempt(spec, tls) || timer.async_wait(use_tuple));
  if (result.index() == 1) co_return failed("Target.Timeout", "no answer within " + format_timeout(spec.timeout));
  co_return std::get<0>(std::move(result));
}

}  // namespace fulcrum::health
