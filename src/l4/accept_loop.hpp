#pragma once
// Accepts connections on one worker's SO_REUSEPORT socket of a listener and starts a session
// coroutine for each. Runs until the acceptor is closed (shutdown or reload).
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>
#include <functional>

#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

// The peer address comes from accept4() itself (no getpeername per connection).
using SessionStarter =
    std::function<void(WorkerContext&, size_t listener_index, asio::ip::tcp::socket, const asio::ip::tcp::endpoint& peer)>;

asio::awaitable<void> accept_loop(WorkerContext& context, asio::ip::tcp::acceptor& acceptor,
                                  size_t listener_index, SessionStarter start_session);

// The starter for `protocol: tcp` listeners.
void start_tcp_session(WorkerContext& context, size_t listener_index, asio::ip::tcp::socket client,
                       const asio::ip::tcp::endpoint& peer);

}  // namespace fulcrum::l4
