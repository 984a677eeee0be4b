#include "http/stream/socket_stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <array>
#include <cerrno>

#include "core/use_tuple.hpp"
#include "core/would_block.hpp"

namespace fulcrum::http {
namespace {
}

asio::awaitable<ByteStream::ReadResult> SocketStream::read_some(char* data, size_t size) {
  if (tls_) co_return co_await tls_->read_some(socket_, data, size);
  co_return co_await socket_.async_read_some(asio::buffer(data, size), use_tuple);
}

asio::awaitable<asio::error_code> SocketStream::write(std::string_view a, std::string_view b) {
  if (tls_) co_return co_await tls_->write(socket_, a, b, *buffers_);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(a.data(), a.size()), asio::buffer(b.data(), b.size())};
  auto [ec, n] = co_await asio::async_write(socket_, buffers, use_tuple);
  co_return ec;
}

asio::error_code SocketStream::shutdown_send() {
  if (tls_) tls_->close_notify();
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  return ec;
}

void SocketStream::close() {
  tls_.reset();
  asio::error_code ignored;
  socket_.close(ignored);
}

void SocketStream::cancel() {
  asio::error_code ignored;
  if (socket_.is_open()) socket_.cancel(ignored);
}

int SocketStream::native_handle() const {
  return const_cast<asio::ip::tcp::socket&>(socket_).native_handle();
}

void SocketStream::set_no_delay() {
  int one = 1;
  ::setsockopt(native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool SocketStream::still_idle(bool skip_probe) const {
  if (tls_) {
    // Records already decrypted or buffered are unasked bytes too (a close_notify, a late error).
    if (tls_->has_pending()) return false;
  } else if (skip_probe) {
    return true;
  }
  char byte;
  const ssize_t n = ::recv(native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && core::would_block(errno);
}

}  // namespace fulcrum::http
