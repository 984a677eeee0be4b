#pragma once
// One client connection on a `protocol: tcp` listener: optional inbound PROXY header, pick and
// connect a target (with retries), optional outbound PROXY header, relay, one access-log line.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>

#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

// listener_index: into snapshot->config->listeners of the worker's current snapshot.
asio::awaitable<void> run_tcp_session(WorkerContext& context, size_t listener_index,
                                      asio::ip::tcp::socket client, asio::ip::tcp::endpoint peer);

}  // namespace fulcrum::l4
