#pragma once
// A TCP connection as a ByteStream, plain or TLS: the client connection of an `http` or `https`
// listener, or a connection toward a target (https groups speak TLS). This is the only code of
// the HTTP proxy that asks whether a connection is TLS before reading or writing. One class for
// both, not two, so that a session, an exchange and the pool hold it by value: a plain
// connection costs no allocation beyond Asio's own.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <memory>

#include "core/buffer_pool.hpp"
#include "http/stream/byte_stream.hpp"
#include "tls/tls_connection.hpp"

namespace fulcrum::http {

class SocketStream final : public ByteStream {
 public:
  explicit SocketStream(asio::io_context& loop) : socket_(loop) {}
  explicit SocketStream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
  SocketStream(SocketStream&&) noexcept = default;
  SocketStream& operator=(SocketStream&&) noexcept = default;
  ~SocketStream() = default;

  // TLS from here on: an accepted https connection, or an https target once connected. Writes
  // borrow a record buffer from `buffers`.
  void use_tls(std::unique_ptr<tls::TlsConnection> tls, core::BufferPool& buffers) {
    tls_ = std::move(tls);
    buffers_ = &buffers;
  }
  // Whether the connection is TLS: what differs by design, not by I/O (the handshake, the
  // scheme the client used, whether an idle connection can leave its session).
  bool secure() const { return tls_ != nullptr; }
  // The TLS handshake (secure() only). False: failed (tls()->reason() says why) or cancelled.
  asio::awaitable<bool> handshake() { return tls_->handshake(socket_); }
  // The TLS side, for what a handshake agreed or why it failed; null when plain.
  const tls::TlsConnection* tls() const { return tls_.get(); }
  // Bytes already read from the socket and decrypted or buffered by TLS: readability may
  // never come for them. Always false when plain.
  bool has_pending() const { return tls_ && tls_->has_pending(); }
  // An idle connection gives back TLS's record buffers (nothing when plain).
  void release_buffers() {
    if (tls_) tls_->release_buffers();
  }
  // An idle connection has nothing to read: EOF means the peer closed it, bytes mean it sent
  // something unasked and the framing is lost. `skip_probe`: trust a plain connection without
  // the system call (the caller can replay on a fresh one); TLS is always checked.
  bool still_idle(bool skip_probe) const;

  asio::ip::tcp::socket& socket() { return socket_; }
  // Small writes go out at once (heads): Nagle would hold them for the peer's ACK.
  void set_no_delay();

  asio::awaitable<ReadResult> read_some(char* data, size_t size) override;
  asio::awaitable<asio::error_code> write(std::string_view a, std::string_view b = {}) override;
  asio::error_code shutdown_send() override;
  // Closes without close_notify (a dropped connection); the TLS state goes first.
  void close() override;
  bool is_open() const override { return socket_.is_open(); }
  void cancel() override;
  int native_handle() const override;

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<tls::TlsConnection> tls_;
  core::BufferPool* buffers_ = nullptr;
};

}  // namespace fulcrum::http
