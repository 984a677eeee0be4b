#include "http/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::http {
namespace {

bool same_address(const core::Endpoint& a, const core::Endpoint& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

// An idle connection must have nothing to read: EOF means the target closed it, bytes mean it
// sent something unasked (a late error, or garbage) and the connection's framing is lost.
bool still_idle(TargetConnection& connection) {
  // TLS: records already decrypted or buffered are unasked bytes too (a close_notify, a late error).
  if (connection.tls && connection.tls->has_pending()) return false;
  asio::ip::tcp::socket& socket = connection.socket;
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::optional<TargetConnection> UpstreamPool::take(const balance::TargetCounters* key, const core::Endpoint& address,
                                                   int64_t now_ms, bool replayable) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto& list = it->second;
  while (!list.empty()) {
    Idle entry = std::move(list.back());  // the most recently used: the least likely to be stale
    list.pop_back();
    const bool fresh = replayable && now_ms - entry.returned_ms < kFreshMs && !entry.connection.tls;
    if (entry.expires_ms > now_ms && same_address(entry.address, address) &&
        (fresh || still_idle(entry.connection))) {
      ++reused_;
      return std::move(entry.connection);
    }
    ++stale_;
    asio::error_code ignored;
    entry.connection.socket.close(ignored);
  }
  return std::nullopt;
}

void UpstreamPool::give_back(const balance::TargetCounters* key, const core::Endpoint& address,
                             TargetConnection connection, uint32_t max_idle, int64_t idle_timeout_ms, int64_t now_ms) {
  if (max_idle == 0) return;
  auto& list = idle_[key];
  if (list.size() >= max_idle) {
    // Keep the fresh one, drop the oldest.
    asio::error_code ignored;
    list.front().connection.socket.close(ignored);
    list.erase(list.begin());
  }
  list.push_back(Idle{std::move(connection), address, now_ms + idle_timeout_ms, now_ms});
}

void UpstreamPool::sweep(int64_t now_ms) {
  if (now_ms < next_sweep_ms_) return;
  next_sweep_ms_ = now_ms + 250;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    size_t kept = 0;
    for (auto& entry : list) {
      if (entry.expires_ms > now_ms) {
        if (&list[kept] != &entry) list[kept] = std::move(entry);
        ++kept;
      } else {
        asio::error_code ignored;
        entry.connection.socket.close(ignored);
      }
    }
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(kept), list.end());
    if (list.empty()) it = idle_.erase(it);
    else ++it;
  }
}

size_t UpstreamPool::idle_count() const {
  size_t total = 0;
  for (const auto& [key, list] : idle_) total += list.size();
  return total;
}

}  // namespace fulcrum::http
