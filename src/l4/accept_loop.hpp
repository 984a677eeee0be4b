#pragma once
// Accepts connections on one worker's SO_REUSEPORT socket of a listener and starts a session
// coroutine for each (Asio sockets: for protocols other than `tcp`, whose sessions are driven
// by the readiness loop through TcpListener). Runs until the acceptor is closed (shutdown or reload).
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

}  // namespace fulcrum::l4
