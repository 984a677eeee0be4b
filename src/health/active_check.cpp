#include "health/active_check.hpp"

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/udp.hpp>
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
#include <charconv>
#include <optional>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "core/use_tuple.hpp"

namespace fulcrum::health {
namespace {

using namespace asio::experimental::awaitable_operators;
using Socket = asio::ip::tcp::socket;
constexpr size_t kMaxLine = 1024;        // an agent line longer than this is refused
constexpr size_t kMaxHead = 8 * 1024;    // an answer head longer than this is refused
constexpr size_t kMaxKeptBody = 64 * 1024;  // longer bodies are not read: the connection is closed

constexpr auto failed = failed_check;

std::string describe(const asio::error_code& ec) {
  if (ec == asio::error::eof) return "closed before answering";
  if (ec.category() == asio::system_category()) return describe_socket_error(ec.value());
  return ec.message();
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

// What one request on a connection gave: the verdict, whether the connection may carry the
// next check, and whether it was closed before answering at all (a stale keep-alive
// connection, worth one retry on a fresh one rather than a failure).
struct Exchange {
  CheckOutcome outcome;
  bool reusable = false;
  bool closed_unanswered = false;
};

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = line[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != name[i]) return false;
  }
  return true;
}

std::string_view header_value(std::string_view line) {
  std::string_view value = line.substr(line.find(':') + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) value.remove_suffix(1);
  return value;
}

template <typename Stream>
asio::awaitable<Exchange> http_exchange(Stream& stream, const CheckSpec& spec) {
  Exchange result;
  // Persistent (HTTP/1.1's default): the next check reuses this connection when the answer's
  // framing allows it, which spares the target and us a handshake per check (Envoy does the same).
  std::string request = "GET " + spec.path + " HTTP/1.1\r\nHost: " + spec.host +
                        "\r\nUser-Agent: fulcrum-health-check\r\nAccept: */*\r\n\r\n";
  auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(request), use_tuple);
  if (write_ec) {
    result.closed_unanswered = true;
    result.outcome = failed("Target.FailedHealthChecks", "sending the request: " + describe(write_ec));
    co_return result;
  }
  std::array<char, kMaxHead> buffer;
  size_t used = 0;
  size_t head_end = std::string_view::npos;
  while (head_end == std::string_view::npos) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer.data() + used, buffer.size() - used), use_tuple);
    used += n;
    head_end = std::string_view(buffer.data(), used).find("\r\n\r\n");
    if (head_end != std::string_view::npos) break;
    if (ec) {
      result.closed_unanswered = used == 0;
      result.outcome = failed("Target.FailedHealthChecks", "reading the answer: " + describe(ec));
      co_return result;
    }
    if (used == buffer.size()) {
      result.outcome = failed("Target.FailedHealthChecks", "answer head longer than 8 KiB");
      co_return result;
    }
  }
  std::string_view head(buffer.data(), head_end + 2);
  std::string_view text = head.substr(0, head.find("\r\n"));
  // "HTTP/1.1 200 OK"
  if (text.size() < 12 || !text.starts_with("HTTP/1.") || text[8] != ' ' || text[9] < '1' || text[9] > '5' ||
      text[10] < '0' || text[10] > '9' || text[11] < '0' || text[11] > '9') {
    std::string shown(text.substr(0, 40));
    for (char& c : shown) c = (c < 32 || c > 126) ? '?' : c;
    result.outcome = failed("Target.FailedHealthChecks", "not an HTTP answer: \"" + shown + "\"");
    co_return result;
  }
  const uint32_t status = static_cast<uint32_t>((text[9] - '0') * 100 + (text[10] - '0') * 10 + (text[11] - '0'));
  if (spec.matcher.matches(status)) {
    result.outcome = CheckOutcome{true, "", "answered " + std::to_string(status), std::nullopt};
  } else {
    result.outcome = failed("Target.ResponseCodeMismatch", "got " + std::to_string(status) + ", expected " + spec.matcher_text);
  }

  // Keep the connection only when the answer's end is known and read: HTTP/1.1, no
  // "Connection: close", no transfer coding, a Content-Length of at most 64 KiB (or no body).
  bool keep = text[7] == '1';
  std::optional<size_t> length;
  for (size_t at = head.find("\r\n") + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    std::string_view line = head.substr(at, end - at);
    at = end + 2;
    if (header_is(line, "connection") && header_value(line).find("close") != std::string_view::npos) keep = false;
    if (header_is(line, "transfer-encoding")) keep = false;
    if (header_is(line, "content-length")) {
      size_t value = 0;
      auto digits = header_value(line);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc() || ptr != digits.data() + digits.size() || (length && *length != value)) keep = false;
      length = value;
    }
  }
  const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
  if (!no_body && (!length || *length > kMaxKeptBody)) keep = false;
  if (keep && !no_body) {
    size_t have = used - (head_end + 4);
    while (have < *length) {
      auto [ec, n] = co_await stream.async_read_some(
          asio::buffer(buffer.data(), std::min(buffer.size(), *length - have)), use_tuple);
      have += n;
      if (ec) {
        keep = false;
        break;
      }
    }
    if (have > *length) keep = false;  // bytes beyond the answer: not ours to guess about
  }
  result.reusable = keep;
  co_return result;
}

// Our own non-blocking connect (as l4's connector): Asio's async_connect would add an
// ioctl(FIONBIO) and a poll() to every check. Returns a failure, or nullopt when connected.
asio::awaitable<std::optional<CheckOutcome>> open_connection(Socket& socket, const CheckSpec& spec) {
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
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  co_return std::nullopt;
}

// A reply's first bytes, printable, for the reason sentence.
std::string printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes.substr(0, 48)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  if (bytes.size() > 48) out += "...";
  return out;
}

// UDP: send the configured datagram, wait for a reply (bounded by the check's timeout) and
// look for the expected bytes in it. The socket is connected, so the kernel drops datagrams
// from anyone else and reports an ICMP port unreachable as "connection refused".
asio::awaitable<CheckOutcome> udp_probe(const CheckSpec& spec) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::udp::socket socket(executor);
  const asio::ip::udp::endpoint target(spec.address.address(), spec.address.port());
  asio::error_code ec;
  socket.open(target.protocol(), ec);
  if (ec) co_return failed("Elb.InternalError", "socket: " + ec.message());
  socket.connect(target, ec);
  if (ec) co_return failed("Target.FailedConnection", describe(ec));
  auto [send_ec, sent] = co_await socket.async_send(asio::buffer(spec.send), use_tuple);
  if (send_ec) co_return failed("Target.FailedConnection", describe(send_ec));
  std::array<char, 2048> reply;
  auto [receive_ec, n] = co_await socket.async_receive(asio::buffer(reply), use_tuple);
  if (receive_ec == asio::error::connection_refused) co_return failed("Target.FailedConnection", "port unreachable");
  if (receive_ec) co_return failed("Target.FailedHealthChecks", describe(receive_ec));
  const std::string_view got(reply.data(), n);
  if (!spec.expect.empty() && got.find(spec.expect) == std::string_view::npos) {
    co_return failed("Target.ResponseCodeMismatch", "reply without the expected bytes: \"" + printable(got) + "\"");
  }
  co_return CheckOutcome{true, "", "replied with " + std::to_string(n) + " bytes", std::nullopt};
}

asio::awaitable<CheckOutcome> attempt(const CheckSpec& spec, asio::ssl::context* tls, CheckConnection& kept) {
  auto executor = co_await asio::this_coro::executor;
  if (spec.protocol == config::HealthProtocol::udp) co_return co_await udp_probe(spec);
  if (spec.protocol == config::HealthProtocol::agent) {
    Socket socket(executor);
    // (No co_await inside conditions or ?: here: GCC 12 miscompiles some of those.)
    std::optional<CheckOutcome> failure = co_await open_connection(socket, spec);
    if (failure) co_return std::move(*failure);
    auto [read_ec, line] = co_await read_line(socket, true);
    if (read_ec) co_return failed("Target.FailedHealthChecks", "agent: " + describe(read_ec));
    co_return CheckOutcome{true, "", "agent said: " + line, parse_agent_reply(line)};
  }
  const bool https = spec.protocol == config::HealthProtocol::https;
  for (;;) {
    const bool reused = kept.plain.has_value() || kept.tls != nullptr;
    if (!reused) {
      Socket socket(executor);
      std::optional<CheckOutcome> failure = co_await open_connection(socket, spec);
      if (failure) co_return std::move(*failure);
      if (!https) {
        kept.plain.emplace(std::move(socket));
      } else {
        kept.tls = std::make_unique<asio::ssl::stream<Socket>>(std::move(socket), *tls);
        // SNI only for names: RFC 6066 forbids literal addresses in server_name.
        const std::string& host = spec.host;
        if (!host.empty() && host.find_first_not_of("0123456789.:[]") != std::string::npos) {
          std::string name = host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
          SSL_set_tlsext_host_name(kept.tls->native_handle(), name.c_str());
        }
        auto [handshake_ec] = co_await kept.tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
        if (handshake_ec) {
          kept.reset();
          co_return failed("Target.FailedHealthChecks", "TLS handshake: " + describe(handshake_ec));
        }
      }
    }
    Exchange exchange;
    if (https) {
      exchange = co_await http_exchange(*kept.tls, spec);
    } else {
      exchange = co_await http_exchange(*kept.plain, spec);
    }
    if (!exchange.reusable) kept.reset();
    // The target closed our idle connection (its keep-alive timeout): ask again on a new one.
    if (reused && exchange.closed_unanswered) continue;
    co_return std::move(exchange.outcome);
  }
}

}  // namespace

void CheckConnection::reset() {
  tls.reset();
  plain.reset();
}

CheckConnection::~CheckConnection() = default;

asio::awaitable<CheckOutcome> run_check(const CheckSpec& spec, asio::ssl::context* tls, asio::steady_timer& timer,
                                        CheckConnection& connection) {
  timer.expires_after(spec.timeout);
  auto result = co_await (attempt(spec, tls, connection) || timer.async_wait(use_tuple));
  if (result.index() == 1) {
    connection.reset();  // in an unknown state mid-exchange
    co_return failed("Target.Timeout", "no answer within " + format_timeout(spec.timeout));
  }
  co_return std::get<0>(std::move(result));
}

}  // namespace fulcrum::health
