#include "tls/tls_connection.hpp"

#include <fcntl.h>
#include <openssl/err.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <cerrno>
#include <cstring>

#include "tls/ssl_failure.hpp"

namespace fulcrum::tls {
namespace {

using Socket = asio::ip::tcp::socket;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// OpenSSL reads and writes the descriptor itself: it must never block the worker. (Asio keeps
// an accepted socket blocking at the OS level until one of its own operations would block.)
void make_non_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

TlsConnection::TlsConnection(std::shared_ptr<const ServerContext> context, int fd)
    : ssl_(context->new_connection()) {
  context_ = std::move(context);
  make_non_blocking(fd);
  SSL_set_fd(ssl_.get(), fd);
  SSL_set_accept_state(ssl_.get());
}

TlsConnection::TlsConnection(std::shared_ptr<const void> context, SslPtr ssl, int fd)
    : context_(std::move(context)), ssl_(std::move(ssl)) {
  make_non_blocking(fd);
  SSL_set_fd(ssl_.get(), fd);
  SSL_set_connect_state(ssl_.get());
}

TlsConnection::~TlsConnection() {
  // OpenSSL drops a session from the cache when its connection ends without close_notify sent.
  // Clients close without it all the time (and idle timeouts close before it): such an end is
  // clean for resumption; only a protocol error makes the session unfit.
  if (!broken_ && SSL_is_init_finished(ssl_.get()) == 1) {
    SSL_set_shutdown(ssl_.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }
}

asio::awaitable<TlsConnection::Next> TlsConnection::after_failure(Socket& socket, int result) {
  SslFailure failure = SslFailure::of(ssl_.get(), result);
  switch (failure.kind) {
    case SslFailure::Kind::want_read:
    case SslFailure::Kind::want_write: {
      auto [ec] = co_await socket.async_wait(
          failure.kind == SslFailure::Kind::want_read ? Socket::wait_read : Socket::wait_write, use_tuple);
      if (!ec) co_return Next::retry;
      reason_ = ec == asio::error::operation_aborted ? "timed out" : ec.message();
      co_return Next::fail;
    }
    case SslFailure::Kind::eof:
      co_return Next::eof;
    case SslFailure::Kind::transport:
      reason_ = std::move(failure.reason);
      co_return Next::fail;
    case SslFailure::Kind::protocol:
      reason_ = std::move(failure.reason);
      broken_ = true;
      co_return Next::fail;
  }
  co_return Next::fail;
}

asio::awaitable<bool> TlsConnection::handshake(Socket& socket) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) co_return true;
    const Next next = co_await after_failure(socket, result);
    if (next == Next::retry) continue;
    if (next == Next::eof) reason_ = "peer closed during the handshake";
    co_return false;
  }
}

asio::awaitable<std::tuple<asio::error_code, size_t>> TlsConnection::read_some(Socket& socket, char* data,
                                                                              size_t size) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    size_t n = 0;
    const int result = SSL_read_ex(ssl_.get(), data, size, &n);
    if (result == 1) co_return std::tuple{asio::error_code(), n};
    const Next next = co_await after_failure(socket, result);
    if (next == Next::retry) continue;
    co_return std::tuple{next == Next::eof ? asio::error_code(asio::error::eof)
                                           : asio::error_code(asio::error::connection_reset),
                         size_t{0}};
  }
}

asio::awaitable<asio::error_code> TlsConnection::write(Socket& socket, std::string_view a, std::string_view b,
                                                       core::BufferPool& buffers) {
  core::BufferPool::Lease joined;
  std::string_view parts[2] = {a, b};
  if (!a.empty() && !b.empty() && a.size() + b.size() <= core::BufferPool::kBufferSize) {
    // Head and body in one record: one encryption and one send instead of two of each.
    joined = buffers.borrow();
    std::memcpy(joined.data(), a.data(), a.size());
    std::memcpy(joined.data() + a.size(), b.data(), b.size());
    parts[0] = std::string_view(joined.data(), a.size() + b.size());
    parts[1] = {};
  }
  for (std::string_view part : parts) {
    while (!part.empty()) {
      ERR_clear_error();
      errno = 0;
      size_t n = 0;
      const int result = SSL_write_ex(ssl_.get(), part.data(), part.size(), &n);
      if (result == 1) {
        part.remove_prefix(n);
        continue;
      }
      const Next next = co_await after_failure(socket, result);
      if (next != Next::retry) co_return asio::error_code(asio::error::connection_reset);
    }
  }
  co_return asio::error_code();
}

void TlsConnection::close_notify() {
  if (sent_close_notify_ || SSL_is_init_finished(ssl_.get()) != 1) return;
  sent_close_notify_ = true;
  SSL_shutdown(ssl_.get());  // non-blocking: sent now or not at all
  ERR_clear_error();
}

std::string_view TlsConnection::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &length);
  return data == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), length);
}

std::string_view TlsConnection::server_name() const {
  const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

}  // namespace fulcrum::tls
