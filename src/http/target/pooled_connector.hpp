#pragma once
// The worker's TargetConnector: the keep-alive pool first, else a new connection over TCP (TLS
// for https groups). One lives in the frame of each request on the client codec's side.
#include <asio/awaitable.hpp>

#include <memory>
#include <vector>

#include "core/buffer_pool.hpp"
#include "http/stream/socket_stream.hpp"
#include "http/target/target_connector.hpp"
#include "http/target/target_dial.hpp"
#include "http/target/upstream_pool.hpp"
#include "tls/client_context.hpp"

namespace fulcrum::http {

// No allocation for a plain connection: the SocketStream is a member.
class PooledConnector final : public TargetConnector {
 public:
  PooledConnector(asio::io_context& loop, UpstreamPool& pool, DeadlineWatch& deadlines, core::BufferPool& buffers,
                  const std::vector<std::shared_ptr<const tls::ClientContext>>& target_tls)
      : stream_(loop), pool_(pool), deadlines_(deadlines), buffers_(buffers), target_tls_(target_tls) {}

  ByteStream& stream() override { return stream_; }
  bool take_pooled(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target, int64_t now_ms,
                   bool replayable) override;
  asio::awaitable<DialResult> dial(size_t group_index, const upstream::GroupSnapshot& group,
                                   const upstream::TargetInfo& target, Deadline& deadline) override;
  void give_back(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target) override;
  void drop() override { stream_.close(); }

 private:
  SocketStream stream_;
  UpstreamPool& pool_;
  DeadlineWatch& deadlines_;
  core::BufferPool& buffers_;
  const std::vector<std::shared_ptr<const tls::ClientContext>>& target_tls_;
};

}  // namespace fulcrum::http
