#include "http/target/target_dial.hpp"

#include <asio/use_awaitable.hpp>

#include <cstring>

#include "core/use_tuple.hpp"

namespace fulcrum::http {

asio::awaitable<DialResult> dial_target(SocketStream& stream, const TargetDial& dial, Deadline& deadline,
                                        core::BufferPool& buffers) {
  DialResult result;
  result.reason = "connection refused";
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), dial.address->address(), dial.address->length);
  asio::error_code ec;
  stream.socket().open(endpoint.protocol(), ec);
  if (!ec) {
    deadline.arm(dial.timeout_ms, &stream);
    std::tie(ec) = co_await stream.socket().async_connect(endpoint, use_tuple);
    deadline.disarm();
    if (ec && deadline.expired()) ec = asio::error::timed_out;
  }
  if (ec) {
    result.error = ec == asio::error::timed_out ? asio::error::timed_out : asio::error::connection_refused;
    co_return result;
  }
  result.tcp_connected = true;
  stream.set_no_delay();
  if (!dial.https) co_return result;
  const std::shared_ptr<const tls::ClientContext>& context = *dial.tls;
  if (!context) {
    result.error = asio::error::connection_refused;  // never plaintext to a target that expects TLS
    result.reason = "no TLS context for this group (its CA file could not be read on reload)";
    co_return result;
  }
  stream.use_tls(std::make_unique<tls::TlsConnection>(context, context->new_connection(dial.server_name),
                                                      stream.native_handle()),
                 buffers);
  deadline.arm(dial.timeout_ms, &stream);
  const bool done = co_await stream.handshake();
  deadline.disarm();
  if (done) co_return result;
  result.error = deadline.expired() ? asio::error::timed_out : asio::error::connection_refused;
  result.tls_failed = true;
  result.reason = stream.tls()->reason();
  co_return result;
}

}  // namespace fulcrum::http
