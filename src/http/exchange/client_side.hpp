#pragma once
// What an exchange needs of the connection its request came on: the HTTP/1.1 session today
// (http/session/proxy_session.cpp), an HTTP/2 stream carrying the request's HTTP/1.1 form
// later. The exchange reads the rest of the request body from `stream()` into `input()` and
// writes the response to `stream()` in HTTP/1.1 form; the codec owns the connection's life.
#include <asio/awaitable.hpp>

#include <string>

#include "http/stream/byte_stream.hpp"
#include "http/stream/deadline_watch.hpp"
#include "http/stream/recv_buffer.hpp"

namespace fulcrum::http {

class ClientSide {
 public:
  virtual ByteStream& stream() = 0;
  // The request bytes read and not yet used: the head's, then the body's.
  virtual RecvBuffer& input() = 0;
  // The deadline the exchange arms around its waits (client and target alike).
  virtual Deadline& deadline() = 0;
  // After refusing a request the client may still be sending: stop sending, read and drop for
  // a moment, then close (closing with unread bytes would reset the connection and could
  // destroy the answer before the client reads it).
  virtual asio::awaitable<void> linger_close() = 0;
  // An orderly end after a complete response (TLS: close_notify first).
  virtual void end() = 0;
  // The address the client connected to ("10.0.0.1:80"): the Host sent on for a request that
  // has none (HTTP/1.0 without Host).
  virtual std::string local_authority() = 0;

 protected:
  ~ClientSide() = default;
};

}  // namespace fulcrum::http
