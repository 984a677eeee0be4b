#include "l4/target_connector.hpp"

#include <netinet/tcp.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <array>
#include <cstring>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace fulcrum::l4 {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
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
  asio::steady_timer timer(context.loop());

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

    asio::ip::tcp::socket socket(context.loop());
    asio::error_code ec;
    socket.open(target.address.family() == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), ec);
    if (ec) {
      target.counters->active.fetch_sub(1, std::memory_order_relaxed);
      result.failure += (result.failure.empty() ? "" : "; ") + target.address_text + ": " + ec.message();
      break;  // out of descriptors: another target will not help
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    asio::ip::tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), target.address.address(), target.address.length);

    const int64_t started = core::now_us();
    timer.expires_after(timeout);
    auto outcome = co_await (socket.async_connect(endpoint, use_tuple) || timer.async_wait(use_tuple));
    if (outcome.index() == 0) {
      ec = std::get<0>(std::get<0>(outcome));
    } else {
      ec = asio::error::timed_out;
    }
    if (!ec) {
      result.connect_us = core::now_us() - started;
      result.target_index = static_cast<int>(*picked);
      result.socket.emplace(std::move(socket));
      co_return result;
    }
    target.counters->active.fetch_sub(1, std::memory_order_relaxed);
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
