#pragma once
// One connection's bytes, whatever carries them: the interface the HTTP proxy reads and writes
// through, on the client side and toward targets. SocketStream implements it over TCP, plain or
// TLS (the one place that knows which); tests implement it in memory; an HTTP/2 stream can
// implement it over its session. One virtual call per read or write, none per byte.
#include <asio/awaitable.hpp>
#include <asio/error_code.hpp>

#include <cstddef>
#include <string_view>
#include <tuple>

namespace fulcrum::http {

class ByteStream {
 public:
  using ReadResult = std::tuple<asio::error_code, size_t>;

  // Up to `size` bytes; asio::error::eof when the peer has ended its side.
  virtual asio::awaitable<ReadResult> read_some(char* data, size_t size) = 0;
  // Writes all of `a`, then all of `b`, with as few system calls as the transport allows (one
  // writev, or one TLS record when they fit in a pooled buffer).
  virtual asio::awaitable<asio::error_code> write(std::string_view a, std::string_view b = {}) = 0;
  // An orderly end of our direction (TLS: close_notify first); reading may go on.
  virtual asio::error_code shutdown_send() = 0;
  // Closes at once; pending operations complete with an error.
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // Ends pending operations with operation_aborted (a Deadline's doing); the stream stays open.
  virtual void cancel() = 0;
  // The descriptor the kernel knows the connection by (OpenSessions shuts it down when a
  // target's deregistration delay ends), or -1.
  virtual int native_handle() const = 0;

 protected:
  ByteStream() = default;
  ~ByteStream() = default;  // never owned through this interface
  ByteStream(const ByteStream&) = default;
  ByteStream& operator=(const ByteStream&) = default;
};

}  // namespace fulcrum::http
