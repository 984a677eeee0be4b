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
std::unique_ptr<asio::ip::tcp::acceptor> open_acceptor(asio::io_context& loop, const core::Endpoint& address,
                                                       std::string& error, int inherited);
std::optional<asio::ip::udp::socket> open_udp_socket(asio::io_context& loop, const core::Endpoint& address,
                                                     std::string& error, int inherited);

}  // namespace fulcrum::runtime
