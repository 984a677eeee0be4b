#pragma once
// An H2Connection's coroutines over the stream that carries its bytes: the reader, the writer
// and one per stream running the exchange. A template so that the connection calls its stream
// directly (SocketStream: no virtual call per read or write, as before the split) while tests
// serve it over streams of their own; what targets the exchanges reach comes the same way
// (`Targets`). The server's is SocketH2Connection: a client socket, the worker's pool and dials.
//
// Stream: a ByteStream that is also movable and has has_pending() (bytes read by a lower layer,
// e.g. TLS, that readability will not announce) and secure(); `wait_readable(stream)`, found by
// argument-dependent lookup, waits until it has bytes without taking any (the reader holds no
// buffer while a connection is idle). Targets: `connector(HttpWorker&)` gives each stream's
// exchange its TargetConnector, by value (one in the stream coroutine's frame) or by reference.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "core/clock.hpp"
#include "core/use_tuple.hpp"
#include "http/exchange/exchange.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"
#include "http/session/h2_connection.hpp"
#include "http/session/h2_stream_side.hpp"
#include "http/stream/recv_buffer.hpp"
#include "http/stream/socket_stream.hpp"
#include "http/target/pooled_connector.hpp"

namespace fulcrum::http {

// The worker's targets: the keep-alive pool, else a new connection (TCP, TLS for https groups).
struct PooledTargets {
  PooledConnector connector(HttpWorker& w) const { return {w.loop(), w.pool, w.deadlines, w.buffers, w.target_tls}; }
};

// Waits until the socket is readable (TLS bytes already decrypted are has_pending()'s).
inline auto wait_readable(SocketStream& stream) {
  return stream.socket().async_wait(asio::ip::tcp::socket::wait_read,
                                    asio::experimental::as_tuple(asio::use_awaitable));
}

template <class Stream, class Targets>
class H2ConnectionOver final : public H2Connection {
 public:
  H2ConnectionOver(HttpWorker& worker, Stream stream, H2Client client, Targets targets = {})
      : H2Connection(worker, stream.secure(), std::move(client)),
        stream_(std::move(stream)),
        targets_(std::move(targets)) {
    attach(stream_);
  }

  // Serves the connection to its end. `received`: bytes already read from it (the preface, or
  // its start), taken before this returns.
  static void start(std::unique_ptr<H2ConnectionOver> self, std::string_view received) {
    H2ConnectionOver& c = *self;
    c.begin(received);
    asio::io_context& loop = c.worker().loop();
    ++c.running_;
    asio::co_spawn(loop, c.write_loop(), asio::detached);
    asio::co_spawn(loop, read_loop(std::move(self)), asio::detached);
  }

 private:

  static asio::awaitable<void> read_loop(std::unique_ptr<H2ConnectionOver> self) {
    H2ConnectionOver& c = *self;
    RecvBuffer in;
    while (c.reading()) {
      // No buffer is held while waiting: the engine takes every byte it is given, so one is
      // borrowed per read and given back at once. (Reading into a held buffer would keep 16 KiB
      // with every connection whose streams have all ended.)
      if (!c.stream_.has_pending()) {
        auto [wait_ec] = co_await wait_readable(c.stream_);
        if (wait_ec) break;
      }
      in.ensure(c.worker().buffers);
      auto [ec, n] = co_await c.stream_.read_some(in.data, in.capacity);
      const bool more = !ec && c.received(std::string_view(in.data, n));
      in.release_if_empty();
      if (!more) break;
    }
    in.release_if_empty();
    c.reader_ended();
    // The writer flushes what is due (GOAWAY), the streams see their end; then the stream closes.
    while (c.running_ > 0) co_await c.finished_.async_wait(use_tuple);
    c.stream_.close();
  }

  asio::awaitable<void> write_loop() {
    for (;;) {
      const std::string_view out = gather();
      if (out.empty()) {
        if (writer_done()) break;
        writer_waiting_ = true;
        co_await writer_wake_.async_wait(use_tuple);
        writer_waiting_ = false;
        continue;
      }
      send_deadline_.arm(send_timeout_ms(), &stream_);
      const asio::error_code ec = co_await stream_.write(out);
      send_deadline_.disarm();
      if (!wrote(ec, send_deadline_.expired())) break;
    }
    writer_ended();
  }

  void on_request(int32_t id, const H2Request& request) override {
    H2StreamSide* side = open_stream(id, request);
    if (side == nullptr) return;
    // Not from inside the engine's callback: the exchange may answer at once.
    ++running_;
    asio::post(worker().loop(), [this, side] { asio::co_spawn(worker().loop(), serve_stream(*side), asio::detached); });
  }

  asio::awaitable<void> serve_stream(H2StreamSide& side) {
    const config::ListenerConfig* l = listener();
    bool held = false;
    if (l != nullptr) held = co_await side.hold_body(kHeldBodyBytes, l->client_header_timeout.count());
    if (held) {
      HttpWorker& w = worker();
      decltype(auto) connector = targets_.connector(w);
      Exchange x(connector, w.upstreams.snapshot());
      x.started_us = core::now_us();
      RecvBuffer& in = side.input();
      x.bytes_in = in.size();
      const ClientFacts who = client_facts();
      ExchangeDriver exchange(w, side.client(), x, who);
      RequestHead head(std::span<Header>(w.header_scratch));
      RequestParser parser(limits_of(*l));
      const ParseResult parsed = parser.parse(in.view(), head);
      exchange.start();
      if (parsed.complete()) {
        co_await exchange.run(head, classify_request(head), parsed.head_size);
      } else {
        // The request's HTTP/1.1 form broke a limit the HTTP/2 engine does not know (a :path
        // over max_request_line: 414; more fields than max_headers: 431).
        const Classification c = parsed.error() ? classify_parse_error(parsed) : Classification{};
        x.desync = c.reason;
        x.tier = c.tier;
        co_await exchange.refuse(parsed.error() ? c.status : 400);
      }
    }
    stream_ended(side);
  }

  Stream stream_;
  [[no_unique_address]] Targets targets_;
};

// The server's: a client socket, plain or TLS, handed over by the HTTP/1.1 session.
using SocketH2Connection = H2ConnectionOver<SocketStream, PooledTargets>;
extern template class H2ConnectionOver<SocketStream, PooledTargets>;

}  // namespace fulcrum::http
