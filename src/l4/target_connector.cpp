#include "l4/target_connector.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <cstring>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "upstream/passive_report.hpp"

namespace fulcrum::l4 {
namespace {

using asio::experimental::as_tuple;
constexpr auto use_tuple = as_tuple(asio::use_awaitable);
constexpr size_t kMaxAttempts = 16;

std::string describe(const asio::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::timed_out) return "connect timeout";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  return ec.message();
}

}  // namespace

asio::awaitable<ConnectResult> connect_to_group(WorkerContext& context,
                                                const std::shared_ptr<const upstream::Snapshot>& snapshot,
                                                int group_index, std::optional<uint64_t> hash) {
  ConnectResult result;
  const auto& group = snapshot->groups[static_cast<size_t>(group_index)];
  const auto timeout = group.config->connect_timeout;
  const uint32_t max_attempts = std::min<uint32_t>(group.config->max_connect_attempts, kMaxAttempts);
  std::array<uint32_t, kMaxAttempts> avoid{};
  while (result.attempts < max_attempts) {
    // The worker may have installed a newer snapshot while we waited on a failed attempt;
    // our indexes belong to `snapshot`, so only its picker may answer.
    if (context.upstreams.snapshot() != snapshot) break;
    balance::PickRequest request;
    request.hash = hash;
    request.now_ms = core::now_ms();
    request.avoid = std::span<const uint32_t>(avoid.data(), result.attempts);
    auto picked = context.upstreams.picker(static_cast<size_t>(group_index)).pick(request);
    if (!picked) break;
    const auto& target = group.targets[*picked];
    avoid[result.attempts++] = *picked;
    if (core::log_enabled(core::LogLevel::debug)) {
      std::string actives;
      // Why this target: every target's active count and response-time average at pick time.
      for (const auto& t : group.targets) {
        actives += t.address_text + "=" + std::to_string(t.counters->active.load(std::memory_order_relaxed)) + "/" +
                   std::to_string(t.counters->response_ewma_us.load(std::memory_order_relaxed)) + "us ";
      }
      core::LogLine(core::LogLevel::debug, "upstream.picked")
          .field("target", target.address_text)
          .field("active_and_latency", actives)
          .emit();
    }
    // Counted as active while connecting: least_connections must see connects in progress.
    target.counters->active.fetch_add(1, std::memory_order_relaxed);

    // Our own non-blocking connect: a SOCK_NONBLOCK socket, connect(), wait until writable,
    // read SO_ERROR. Asio's async_connect would add an ioctl(FIONBIO) and a poll() per connect.
    asio::error_code ec;
    asio::ip::tcp::socket socket(context.loop());
    int fd = ::socket(target.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd >= 0) {
      socket.assign(target.address.family() == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd, ec);
    } else {
      ec = asio::error_code(errno, asio::system_category());
    }
    if (ec) {
      target.counters->active.fetch_sub(1, std::memory_order_relaxed);
      result.failure += (result.failure.empty() ? "" : "; ") + target.address_text + ": " + ec.message();
      break;  // out of descriptors: another target will not help
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    const int64_t started = core::now_us();
    if (::connect(fd, target.address.address(), target.address.length) != 0) {
      if (errno != EINPROGRESS) {
        ec = asio::error_code(errno, asio::system_category());
      } else {
        ConnectWatch::Entry watch(context.connects, socket, core::now_ms() + timeout.count());
        auto [wait_ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_write, use_tuple);
        if (watch.timed_out()) {
          ec = asio::error::timed_out;
        } else if (wait_ec) {
          ec = wait_ec;
        } else {
          int error = 0;
          socklen_t length = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
          if (error != 0) ec = asio::error_code(error, asio::system_category());
        }
      }
    }
    if (!ec) {
      result.connect_us = core::now_us() - started;
      result.target_index = static_cast<int>(*picked);
      result.socket.emplace(std::move(socket));
      co_return result;
    }
    target.counters->active.fetch_sub(1, std::memory_order_relaxed);
    upstream::report_traffic_failure(group, target,
                                     ec == asio::error::connection_refused ? upstream::TrafficFailure::connect_refused
                                     : ec == asio::error::timed_out        ? upstream::TrafficFailure::connect_timeout
                                                                           : upstream::TrafficFailure::connect_error);
    result.failure += (result.failure.empty() ? "" : "; ") + target.address_text + ": " + describe(ec);
    core::LogLine(core::LogLevel::debug, "upstream.connect_failed")
        .field("group", group.name())
        .field("target", target.address_text)
        .field("reason", describe(ec))
        .emit();
  }
  if (result.failure.empty()) {
    result.failure = result.attempts == 0 ? "no eligible target in group " + group.name()
                                          : "all attempts failed";
  }
  co_return result;
}

}  // namespace fulcrum::l4
