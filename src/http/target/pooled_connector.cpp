#include "http/target/pooled_connector.hpp"

#include <string>

#include "core/clock.hpp"

namespace fulcrum::http {

bool PooledConnector::take_pooled(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target,
                                  int64_t now_ms, bool replayable) {
  auto pooled = pool_.take(target.counters.get(), target.address, now_ms, replayable);
  if (!pooled) return false;
  stream_ = std::move(*pooled);
  return true;
}

asio::awaitable<DialResult> PooledConnector::dial(size_t group_index, const upstream::GroupSnapshot& group,
                                                  const upstream::TargetInfo& target, Deadline& deadline) {
  static const std::shared_ptr<const tls::ClientContext> kNoContext;
  stream_.close();
  TargetDial dial;
  dial.address = &target.address;
  dial.https = group.config->protocol == config::TargetProtocol::https;
  dial.tls = group_index < target_tls_.size() ? &target_tls_[group_index] : &kNoContext;
  std::string server_name;
  if (dial.https && *dial.tls) dial.server_name = server_name = target.address.host_string();
  dial.timeout_ms = group.config->connect_timeout.count();
  co_return co_await dial_target(stream_, dial, deadline, buffers_);
}

void PooledConnector::give_back(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target) {
  pool_.give_back(target.counters.get(), target.address, std::move(stream_), group.config->keepalive_connections,
                  group.config->keepalive_timeout.count(), core::now_ms());
  deadlines_.wake();  // the pool's idle sweep runs on ticks
}

}  // namespace fulcrum::http
