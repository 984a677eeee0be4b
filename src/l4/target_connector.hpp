#pragma once
// Connects to a target of a group: asks the group's picker, connects with a timeout, and on
// failure (refused, unreachable, timeout) asks again with the failed targets avoided, up to
// the group's max_connect_attempts. The client notices nothing unless every attempt fails.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "l4/worker_context.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::l4 {

// On success the chosen target's `active` counter has been raised (from the moment it was
// picked, so that concurrent picks see it); the caller lowers it when the session ends.
struct ConnectResult {
  std::optional<asio::ip::tcp::socket> socket;
  int target_index = -1;   // into snapshot->groups[group].targets
  uint32_t attempts = 0;
  int64_t connect_us = 0;  // time of the successful attempt
  std::string failure;     // why every attempt failed, for the log: "A: refused; B: timeout"
};

asio::awaitable<ConnectResult> connect_to_group(WorkerContext& context,
                                                const std::shared_ptr<const upstream::Snapshot>& snapshot,
                                                int group_index, std::optional<uint64_t> hash);

}  // namespace fulcrum::l4
