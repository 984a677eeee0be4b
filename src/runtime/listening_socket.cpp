#include "runtime/listening_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::runtime {

std::unique_ptr<asio::ip::tcp::acceptor> open_acceptor(asio::io_context& loop, const core::Endpoint& address,
                                                       std::string& error, int inherited, bool client_speaks_first) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(loop);
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.address(), address.length);
  asio::error_code ec;
  if (inherited >= 0) {
    acceptor->assign(endpoint.protocol(), inherited, ec);
    if (ec) {
      error = "cannot take over the socket on " + address.to_string() + ": " + ec.message();
      return nullptr;
    }
    return acceptor;
  }
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    // One socket per worker on the same port: the kernel spreads new connections over them.
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
  }
  if (!ec && client_speaks_first) {
    // Connection: close at 50 clients, one worker: 24,700-26,700 requests/s against
    // 23,100-24,100 without (docs/design/http-performance.md § Connection: close).
    int seconds = 1;
    if (::setsockopt(acceptor->native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + address.to_string() + ": " + ec.message();
    return nullptr;
  }
  return acceptor;
}

std::optional<asio::ip::udp::socket> open_udp_socket(asio::io_context& loop, const core::Endpoint& address,
                                                     std::string& error, int inherited) {
  asio::ip::udp::socket socket(loop);
  asio::ip::udp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.address(), address.length);
  asio::error_code ec;
  if (inherited >= 0) {
    socket.assign(endpoint.protocol(), inherited, ec);
    if (ec) {
      error = "cannot take over the udp socket on " + address.to_string() + ": " + ec.message();
      return std::nullopt;
    }
    return socket;
  }
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
  }
  if (!ec) socket.bind(endpoint, ec);
  if (ec) {
    error = "cannot listen on udp " + address.to_string() + ": " + ec.message();
    return std::nullopt;
  }
  return socket;
}

}  // namespace fulcrum::runtime
