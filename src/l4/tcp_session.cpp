#include "l4/tcp_session.hpp"

#include <sys/socket.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstring>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "l4/proxy_protocol.hpp"
#include "l4/target_connector.hpp"
#include "l4/tcp_relay.hpp"
#include "upstream/passive_report.hpp"

namespace fulcrum::l4 {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
using Socket = asio::ip::tcp::socket;
constexpr auto use_tuple = as_tuple(asio::use_awaitable);

core::Endpoint endpoint_of(const asio::ip::tcp::endpoint& endpoint) {
  core::Endpoint out;
  std::memcpy(&out.storage, endpoint.data(), endpoint.size());
  out.length = static_cast<socklen_t>(endpoint.size());
  return out;
}

bool is_wildcard(const core::Endpoint& endpoint) {
  if (endpoint.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&endpoint.storage)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&endpoint.storage)->sin6_addr);
}

// Counts a session as active for graceful shutdown, on every path out.
struct ActiveSession {
  explicit ActiveSession(WorkerContext& c) : context(c) {
    context.active_sessions.fetch_add(1, std::memory_order_relaxed);
    context.total_sessions.fetch_add(1, std::memory_order_relaxed);
  }
  ~ActiveSession() { context.active_sessions.fetch_sub(1, std::memory_order_relaxed); }
  WorkerContext& context;
};

// Lowers the target's active-connection count (raised by connect_to_group) on every path out.
struct ActiveOnTarget {
  explicit ActiveOnTarget(balance::TargetCounters& c) : counters(&c) {}
  ~ActiveOnTarget() { release(); }
  void release() {
    if (counters) counters->active.fetch_sub(1, std::memory_order_relaxed);
    counters = nullptr;
  }
  balance::TargetCounters* counters;
};

struct InboundProxy {
  bool ok = false;
  ProxyHeader header;
  std::string error;
  size_t buffered = 0;  // bytes read, header included
};

// Reads the client's PROXY header within the listener's header timeout. The bytes after the
// header (a client may send its first request in the same segment) stay in `buffer`.
asio::awaitable<InboundProxy> read_proxy_header(WorkerContext& context, Socket& client, char* buffer,
                                                size_t capacity, std::chrono::milliseconds timeout) {
  InboundProxy result;
  asio::steady_timer timer(context.loop());
  timer.expires_after(timeout);
  for (;;) {
    auto outcome = co_await (client.async_read_some(asio::buffer(buffer + result.buffered, capacity - result.buffered), use_tuple) ||
                             timer.async_wait(use_tuple));
    if (outcome.index() == 1) {
      result.error = "no PROXY header within " + std::to_string(timeout.count()) + "ms";
      co_return result;
    }
    auto [ec, n] = std::get<0>(outcome);
    if (ec) {
      result.error = ec == asio::error::eof ? "closed before sending a PROXY header" : ec.message();
      co_return result;
    }
    result.buffered += n;
    switch (parse_proxy_header({buffer, result.buffered}, result.header, result.error)) {
      case ProxyParse::done:
        result.ok = true;
        co_return result;
      case ProxyParse::error:
        co_return result;
      case ProxyParse::need_more:
        if (result.buffered == capacity) {
          result.error = "PROXY header too long";
          co_return result;
        }
        break;
    }
  }
}

}  // namespace

asio::awaitable<void> run_tcp_session(WorkerContext& context, size_t listener_index, Socket client,
                                      asio::ip::tcp::endpoint peer) {
  ActiveSession active(context);
  const int64_t started_us = core::now_us();
  // The session keeps the snapshot it started with: a reload does not pull it from under us.
  std::shared_ptr<const upstream::Snapshot> snapshot = context.upstreams.snapshot();
  const config::ListenerConfig& listener = snapshot->config->listeners[listener_index];

  asio::error_code ec;
  core::Endpoint client_address = endpoint_of(peer);
  // The address the client reached: the listener's own, unless it listens on a wildcard
  // address, where only getsockname() knows (asked only when a PROXY header needs it).
  core::Endpoint destination_address = listener.listen;
  client.set_option(asio::ip::tcp::no_delay(true), ec);

  // Bytes the client sent after its PROXY header, to be forwarded first. Borrowed from the
  // pool (not a member of this frame) so that sessions pay for it only while they need it.
  core::BufferPool::Lease early;
  size_t early_begin = 0, early_end = 0;
  if (listener.accept_proxy_protocol) {
    early = context.buffers.borrow();
    static_assert(core::BufferPool::kBufferSize >= kProxyHeaderMaxRead);
    auto inbound = co_await read_proxy_header(context, client, early.data(), kProxyHeaderMaxRead, listener.client_header_timeout);
    if (!inbound.ok) {
      core::LogLine(core::LogLevel::warn, "tcp.bad_proxy_header")
          .field("listener", listener.name)
          .field("client", client_address.to_string())
          .field("reason", inbound.error)
          .emit();
      co_return;
    }
    if (!inbound.header.local && inbound.header.source) {
      client_address = *inbound.header.source;
      destination_address = *inbound.header.destination;
    }
    early_begin = inbound.header.length;
    early_end = inbound.buffered;
  }

  int group_index = listener_index < context.listener_splits.size() ? context.listener_splits[listener_index].next() : -1;
  if (group_index < 0) {
    core::LogLine(core::LogLevel::warn, "tcp.no_route").field("listener", listener.name).field("client", client_address.to_string()).emit();
    co_return;
  }
  const auto& group = snapshot->groups[static_cast<size_t>(group_index)];
  std::optional<uint64_t> hash;
  if (group.config->algorithm == config::Algorithm::ip_hash) {
    // At layer 4 every hash_key falls back to the client address: there is no header or cookie.
    hash = balance::hash_key_bytes(client_address.host_string());
  }

  auto connected = co_await connect_to_group(context, snapshot, group_index, hash);
  if (!connected.socket) {
    core::LogLine(core::LogLevel::warn, "tcp.no_target")
        .field("listener", listener.name)
        .field("client", client_address.to_string())
        .field("group", group.name())
        .field("attempts", connected.attempts)
        .field("reason", connected.failure)
        .emit();
    // Close at once with a reset: the client learns now, not after a timeout, that nobody is there.
    client.set_option(asio::socket_base::linger(true, 0), ec);
    co_return;
  }
  Socket& target = *connected.socket;
  const auto& target_info = group.targets[static_cast<size_t>(connected.target_index)];
  ActiveOnTarget on_target(*target_info.counters);
  // Lets the control thread end this connection when the target's deregistration delay runs out.
  upstream::OpenSessions::Entry registered(context.upstreams.sessions(), target_info.outcomes.get(),
                                           client.native_handle(), target.native_handle());

  // What the target must read first: our PROXY header, then the client's early bytes.
  std::array<char, kProxyHeaderMaxWrite> proxy_header{};
  size_t proxy_length = 0;
  if (group.config->proxy_protocol != config::ProxyProtocolVersion::none && !listener.accept_proxy_protocol &&
      is_wildcard(destination_address)) {
    auto local = client.local_endpoint(ec);
    if (!ec) destination_address = endpoint_of(local);
  }
  if (group.config->proxy_protocol == config::ProxyProtocolVersion::v1) {
    proxy_length = write_proxy_v1(proxy_header.data(), client_address, destination_address);
  } else if (group.config->proxy_protocol == config::ProxyProtocolVersion::v2) {
    proxy_length = write_proxy_v2(proxy_header.data(), client_address, destination_address);
  }
  std::array<asio::const_buffer, 2> first{asio::buffer(proxy_header.data(), proxy_length),
                                          asio::buffer(early.data() + early_begin, early_end - early_begin)};
  if (proxy_length + (early_end - early_begin) > 0) {
    auto [write_ec, n] = co_await asio::async_write(target, first, use_tuple);
    if (write_ec) {
      core::LogLine(core::LogLevel::warn, "tcp.target_write_failed")
          .field("listener", listener.name)
          .field("target", target_info.address_text)
          .field("reason", write_ec.message())
          .emit();
      co_return;
    }
  }
  early.release();

  RelayOptions options;
  options.idle_timeout = listener.idle_timeout;
  RelayResult relayed = co_await relay(context, client, target, options);
  on_target.release();  // before anything else: the next pick must see this target as free
  if (registered.closed_by_deregistration()) relayed.close_reason = "deregistered";
  // Passive health: a reset, or a target that never answered what the client sent, is a failure.
  if (relayed.close_reason == "target_reset") {
    upstream::report_traffic_failure(group, target_info, upstream::TrafficFailure::reset);
  } else if (relayed.close_reason == "idle_timeout" && relayed.first_response_us < 0 && relayed.client_to_target > 0) {
    upstream::report_traffic_failure(group, target_info, upstream::TrafficFailure::timeout);
  } else {
    upstream::report_traffic_success(target_info);
  }
  relayed.client_to_target += early_end - early_begin;
  // least_response_time learns from the target's first answer; a session in which the target
  // never spoke teaches it the connect time instead.
  int64_t response_us = relayed.first_response_us >= 0 ? relayed.first_response_us : connected.connect_us;
  target_info.counters->record_response_time(static_cast<uint32_t>(std::min<int64_t>(response_us, UINT32_MAX)),
                                            core::now_us());
  if (relayed.close_reason == "client_reset" || relayed.close_reason == "target_reset" ||
      relayed.close_reason == "idle_timeout") {
    // Pass an abort on as an abort: a reset, not an orderly FIN that would look like success.
    client.set_option(asio::socket_base::linger(true, 0), ec);
    target.set_option(asio::socket_base::linger(true, 0), ec);
  }

  core::LogLine::access("tcp.session")
      .field("listener", listener.name)
      .field("client", client_address.to_string())
      .field("group", group.name())
      .field("algorithm", config::to_string(group.config->algorithm))
      .field("target", target_info.address_text)
      .field("attempts", connected.attempts)
      .field("connect_ms", static_cast<double>(connected.connect_us) / 1000.0)
      .field("first_byte_ms", static_cast<double>(relayed.first_response_us) / 1000.0)
      .field("bytes_in", relayed.client_to_target)
      .field("bytes_out", relayed.target_to_client)
      .field("duration_ms", static_cast<double>(core::now_us() - started_us) / 1000.0)
      .field("close", relayed.close_reason)
      .field("splice", relayed.spliced)
      .emit();
}

}  // namespace fulcrum::l4
