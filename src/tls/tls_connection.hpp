#pragma once
// The TLS side of one connection, accepted (https listeners) or opened toward a target (https
// target groups): an SSL reading and writing the socket's descriptor directly (OpenSSL's socket
// BIO, read-ahead on), driven by the socket's readiness through Asio's async_wait, so plaintext
// lands straight in the caller's buffer and ciphertext goes out with one send per SSL_write.
// Timeouts: the caller's Deadline cancels the socket, which ends the pending wait.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "core/buffer_pool.hpp"
#include "tls/server_context.hpp"

namespace fulcrum::tls {

class TlsConnection {
 public:
  // Server side of an accepted connection.
  TlsConnection(std::shared_ptr<const ServerContext> context, int fd);
  // Client side toward a target; `context` keeps what `ssl` was made from alive.
  TlsConnection(std::shared_ptr<const void> context, SslPtr ssl, int fd);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Runs the handshake. False: failed (reason() says why, as OpenSSL puts it) or the
  // socket was cancelled (a deadline).
  asio::awaitable<bool> handshake(asio::ip::tcp::socket& socket);
  // Up to `size` bytes of plaintext; asio::error::eof on close_notify or a TCP close.
  asio::awaitable<std::tuple<asio::error_code, size_t>> read_some(asio::ip::tcp::socket& socket, char* data,
                                                                 size_t size);
  // Writes `a` then `b`, as one TLS record when they fit in a pooled buffer (one send).
  asio::awaitable<asio::error_code> write(asio::ip::tcp::socket& socket, std::string_view a, std::string_view b,
                                          core::BufferPool& buffers);
  // Plaintext or ciphertext already read from the socket: do not wait for readability.
  bool has_pending() const { return SSL_has_pending(ssl_.get()) == 1; }
  // Frees OpenSSL's read and write record buffers while nothing is pending in them (an idle
  // connection); the next record allocates them again.
  void release_buffers() { SSL_free_buffers(ssl_.get()); }
  // Sends close_notify if it can without waiting (before the TCP close).
  void close_notify();

  // After a failure: why. After the handshake: what was agreed.
  const std::string& reason() const { return reason_; }
  // The failure was TLS's (alert, bad record, no shared cipher, verification), not the transport's.
  bool protocol_error() const { return broken_; }
  std::string_view alpn() const;
  std::string_view server_name() const;
  const char* version() const { return SSL_get_version(ssl_.get()); }
  bool resumed() const { return SSL_session_reused(ssl_.get()) == 1; }

 private:
  // Interprets a failed SSL call: waits for the socket when OpenSSL asks to, else fails.
  enum class Next { retry, eof, fail };
  asio::awaitable<Next> after_failure(asio::ip::tcp::socket& socket, int result);

  std::shared_ptr<const void> context_;  // SNI and ALPN callbacks read it
  SslPtr ssl_;
  std::string reason_;
  bool sent_close_notify_ = false;
  bool broken_ = false;  // a protocol error: the session must not be resumed
};

}  // namespace fulcrum::tls
