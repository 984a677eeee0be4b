#pragma once
// Full-duplex byte relay between a client and a target socket, the heart of a TCP session.
// Each direction starts by copying through a pooled 16 KiB buffer (one syscall each way,
// cheapest for small exchanges) and switches to splice() through a pooled pipe as soon as a
// read fills the buffer (bulk transfer: the bytes then never enter user space). EOF on one side
// is passed on as a half-close (shutdown SHUT_WR) to the other; a reset or error on either side
// ends both. An idle timer closes the session when neither direction moves for idle_timeout.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

struct RelayResult {
  uint64_t client_to_target = 0;
  uint64_t target_to_client = 0;
  // Who ended it: "client_close", "target_close" (both halves closed, the named one first),
  // "client_reset", "target_reset", "idle_timeout", "shutdown".
  std::string_view close_reason = "";
  bool spliced = false;  // at least one direction used splice()
  // Time from the client's first byte reaching the target (or from the start, when the target
  // speaks first) to the target's first byte back: the target's response time at layer 4.
  // -1 when the target never answered.
  int64_t first_response_us = -1;
};

struct RelayOptions {
  std::chrono::milliseconds idle_timeout{350000};
  bool use_splice = true;
};

asio::awaitable<RelayResult> relay(WorkerContext& context, asio::ip::tcp::socket& client,
                                   asio::ip::tcp::socket& target, RelayOptions options);

}  // namespace fulcrum::l4
