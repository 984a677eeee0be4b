#pragma once
// One worker's listening socket of a listener: a stream acceptor or a datagram socket, bound
// with SO_REUSEPORT beside the other workers' sockets on the same address (the kernel spreads
// connections, and hashes each UDP client to one socket), or taken over from the process a
// hot upgrade replaces.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include <memory>
#include <optional>
#include <string>

#include "core/endpoint.hpp"

namespace fulcrum::runtime {

// `inherited`: a socket already bound and listening (hot upgrade), or -1 to make one.
// `client_speaks_first` (http, https): TCP_DEFER_ACCEPT, so that the kernel hands over a
// connection once its first bytes are there (HAProxy's `defer-accept`, nginx's `deferred`): the
// first read finds them, with no wake-up for the bare handshake and no read that answers EAGAIN.
// A client that connects and says nothing reaches Fulcrum about a second later, then meets
// client_header_timeout as any other (and is counted only then).
std::unique_ptr<asio::ip::tcp::acceptor> open_acceptor(asio::io_context& loop, const core::Endpoint& address,
                                                       std::string& error, int inherited, bool client_speaks_first);
std::optional<asio::ip::udp::socket> open_udp_socket(asio::io_context& loop, const core::Endpoint& address,
                                                     std::string& error, int inherited);

}  // namespace fulcrum::runtime
