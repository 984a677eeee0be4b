#include "http/target/upstream_pool.hpp"

#include <algorithm>
#include <cstring>

#include "config/config.hpp"

namespace fulcrum::http {
namespace {

bool same_address(const core::Endpoint& a, const core::Endpoint& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

}  // namespace

std::optional<SocketStream> UpstreamPool::take(const balance::TargetCounters* key, const core::Endpoint& address,
                                                   int64_t now_ms, bool replayable) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto& list = it->second;
  while (!list.empty()) {
    Idle entry = std::move(list.back());  // the most recently used: the least likely to be stale
    list.pop_back();
    const bool fresh = replayable && now_ms - entry.returned_ms < kFreshMs;
    if (entry.expires_ms > now_ms && same_address(entry.address, address) && entry.connection.still_idle(fresh)) {
      ++reused_;
      return std::move(entry.connection);
    }
    ++stale_;
    entry.connection.close();
  }
  return std::nullopt;
}

void UpstreamPool::give_back(const balance::TargetCounters* key, const core::Endpoint& address,
                             SocketStream connection, uint32_t max_idle, int64_t idle_timeout_ms, int64_t now_ms) {
  max_idle = std::min(max_idle, config::TargetGroupConfig::kMaxKeepaliveConnections);
  if (max_idle == 0) return;
  auto& list = idle_[key];
  if (list.size() >= max_idle) {
    // Keep the fresh one, drop the oldest (more than one if a reload lowered the cap).
    const auto excess = static_cast<std::ptrdiff_t>(list.size() - max_idle + 1);
    for (auto it = list.begin(); it != list.begin() + excess; ++it) it->connection.close();
    list.erase(list.begin(), list.begin() + excess);
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
        entry.connection.close();
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
