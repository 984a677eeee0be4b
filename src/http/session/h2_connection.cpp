#include "http/session/h2_connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

#include "core/clock.hpp"
#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "http/exchange/exchange.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"
#include "http/h2/h2_request.hpp"
#include "http/session/h2_stream_side.hpp"
#include "http/target/pooled_connector.hpp"

namespace fulcrum::http {
namespace {
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr size_t kGatherBytes = 64 * 1024;  // engine output gathered into one write, at most
// A body with a content-length is held up to this before its exchange starts (H2StreamSide::
// hold_body): smaller ones reach no target unless their DATA frames agree with their length.
constexpr size_t kHeldBodyBytes = 64 * 1024;

H2ServerSession::Limits engine_limits(const config::ListenerConfig* listener) {
  H2ServerSession::Limits limits;
  if (listener != nullptr) {
    limits.max_concurrent_streams = listener->max_concurrent_streams;
    limits.max_header_list_bytes = listener->max_header_bytes;
  }
  return limits;
}

const config::ListenerConfig* listener_of(HttpWorker& worker, uint32_t index) {
  const auto& snapshot = worker.upstreams.snapshot();
  if (!snapshot || index >= snapshot->config->listeners.size()) return nullptr;
  return &snapshot->config->listeners[index];
}
}  // namespace

H2Connection::H2Connection(HttpWorker& worker, SocketStream socket, H2Client client)
    : w_(worker),
      socket_(std::move(socket)),
      client_(std::move(client)),
      engine_(*this, engine_limits(listener_of(worker, client_.listener_index))),
      idle_deadline_(worker.deadlines),
      send_deadline_(worker.deadlines),
      writer_wake_(worker.loop(), std::chrono::steady_clock::time_point::max()),
      finished_(worker.loop(), std::chrono::steady_clock::time_point::max()) {
  // Linked for draining.
  next_ = w_.h2_connections;
  if (next_ != nullptr) next_->prev_ = this;
  w_.h2_connections = this;
}

H2Connection::~H2Connection() {
  streams_.clear();  // before the engine: their destructors do not call it, but be plain about order
  if (prev_ != nullptr) prev_->next_ = next_;
  else w_.h2_connections = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  const auto& snapshot = w_.upstreams.snapshot();
  if (snapshot && client_.listener_index < snapshot->listener_stats.size()) {
    snapshot->listener_stats[client_.listener_index]->local().connections_closed.add();
  }
  w_.active_sessions.fetch_sub(1, std::memory_order_relaxed);
}

const config::ListenerConfig* H2Connection::listener() const { return listener_of(w_, client_.listener_index); }

std::string H2Connection::local_authority() const {
  const auto local = core::local_endpoint(const_cast<SocketStream&>(socket_).native_handle());
  return local ? local->to_string() : std::string{};
}

void H2Connection::start(std::unique_ptr<H2Connection> self, std::string_view received) {
  H2Connection& c = *self;
  c.arm_idle();
  if (c.w_.draining) c.shut_down();  // handed over while the worker drains: one request at most
  if (!received.empty() && !c.engine_.receive(received)) c.closing_ = true;
  asio::io_context& loop = c.w_.loop();
  ++c.running_;
  asio::co_spawn(loop, c.write_loop(), asio::detached);
  asio::co_spawn(loop, read_loop(std::move(self)), asio::detached);
}

void H2Connection::tick_all(HttpWorker& worker, int64_t now_ms, bool draining) {
  for (H2Connection* c = worker.h2_connections; c != nullptr; c = c->next_) {
    if (draining && !c->shut_down_) c->shut_down();
    // Idle a while, the writer waiting with nothing to send: most of what the connection
    // holds is nghttp2's frame buffer, which goes back until the next frame.
    if (!c->memory_released_ && c->idle_since_ms_ != 0 && now_ms - c->idle_since_ms_ >= kReleaseAfterMs &&
        c->writer_waiting_ && !c->closing_ && c->streams_.empty()) {
      c->memory_released_ = c->engine_.release_idle_memory();
    }
  }
}

void H2Connection::shut_down_all(HttpWorker& worker) {
  for (H2Connection* c = worker.h2_connections; c != nullptr; c = c->next_) {
    if (!c->shut_down_) c->shut_down();
  }
}

void H2Connection::shut_down() {
  shut_down_ = true;
  engine_.shut_down();
  kick();
}

void H2Connection::kick() {
  if (writer_waiting_) writer_wake_.cancel();
}

void H2Connection::arm_idle() {
  idle_since_ms_ = core::now_ms();
  const config::ListenerConfig* l = listener();
  const int64_t timeout_ms =
      l == nullptr ? 1000 : (saw_request_ ? l->idle_timeout.count() : l->client_header_timeout.count());
  idle_deadline_.arm(timeout_ms, &socket_);
}

asio::awaitable<void> H2Connection::read_loop(std::unique_ptr<H2Connection> self) {
  H2Connection& c = *self;
  RecvBuffer in;
  while (!c.closing_ && !c.dead_) {
    // No buffer is held while waiting: the engine takes every byte it is given, so one is
    // borrowed per read and given back at once. (Reading into a held buffer would keep 16 KiB
    // with every connection whose streams have all ended.)
    if (!c.socket_.has_pending()) {
      auto [wait_ec] = co_await c.socket_.socket().async_wait(asio::ip::tcp::socket::wait_read, use_tuple);
      if (wait_ec) break;
    }
    in.ensure(c.w_.buffers);
    auto [ec, n] = co_await c.socket_.read_some(in.data, in.capacity);
    const bool taken = !ec && c.engine_.receive(std::string_view(in.data, n));
    in.release_if_empty();
    if (ec) break;
    if (!taken) {
      // A connection error: the engine queued GOAWAY; it goes out, then the connection ends.
      c.closing_ = true;
      if (c.engine_.calm_exceeded()) {
        core::LogLine line(core::LogLevel::info, "http2.calm_exceeded");
        if (line.enabled()) line.field("listener", c.listener() ? std::string_view(c.listener()->name) : "?").emit();
      }
    }
    c.kick();
    if (c.engine_.finished()) break;
  }
  // An idle or header deadline that passed ends the connection politely.
  if (c.idle_deadline_.expired() && !c.shut_down_ && !c.dead_) c.engine_.shut_down();
  c.idle_deadline_.disarm();
  in.release_if_empty();
  c.closing_ = true;
  c.end_all_streams();
  c.kick();
  // The writer flushes what is due (GOAWAY), the streams see their end; then the socket closes.
  while (c.running_ > 0) co_await c.finished_.async_wait(use_tuple);
  c.socket_.close();
}

void H2Connection::end_all_streams() {
  for (auto& [id, side] : streams_) side->engine_closed();
}

asio::awaitable<void> H2Connection::write_loop() {
  for (;;) {
    out_.clear();
    while (out_.size() < kGatherBytes) {
      const std::string_view piece = engine_.output();
      if (piece.empty()) break;
      out_.append(piece);
      engine_.sent(piece.size());
    }
    for (auto& [id, side] : streams_) side->window_moved();
    if (out_.empty()) {
      if (dead_ || engine_.finished() || (closing_ && streams_.empty()) ||
          (closing_ && std::none_of(streams_.begin(), streams_.end(), [](const auto& s) { return s.second->running(); }))) {
        break;
      }
      if (streams_.empty()) out_.shrink_to_fit();  // an idle connection holds no write buffer
      writer_waiting_ = true;
      co_await writer_wake_.async_wait(use_tuple);
      writer_waiting_ = false;
      continue;
    }
    const config::ListenerConfig* l = listener();
    send_deadline_.arm(l != nullptr ? l->send_timeout.count() : 60000, &socket_);
    const asio::error_code ec = co_await socket_.write(out_);
    send_deadline_.disarm();
    memory_released_ = false;  // the frame buffer was written to: its pages are back
    if (ec) {
      if (send_deadline_.expired()) {
        core::LogLine line(core::LogLevel::info, "http2.send_timeout");
        if (line.enabled()) line.field("listener", l != nullptr ? std::string_view(l->name) : "?").emit();
      }
      dead_ = true;
      break;
    }
  }
  out_.clear();
  out_.shrink_to_fit();
  // The reader may be waiting for bytes that will not matter now.
  if (!closing_ || dead_) {
    closing_ = true;
    socket_.cancel();
  }
  if (dead_) end_all_streams();
  if (--running_ == 0) finished_.cancel();
}

void H2Connection::on_request(int32_t id, const H2Request& request) {
  if (closing_) {
    engine_.reset(id, 0x7);  // REFUSED_STREAM: the client may retry it elsewhere
    return;
  }
  saw_request_ = true;
  idle_since_ms_ = 0;
  memory_released_ = false;
  idle_deadline_.disarm();
  const bool chunked = h2_body_is_chunked(request);
  auto side = std::make_unique<H2StreamSide>(*this, id, identify_method(request.method), chunked, request.end_stream);
  head_text_.clear();
  write_http1_head(request, head_text_);
  RecvBuffer& in = side->input();
  in.ensure(w_.buffers);
  if (head_text_.size() > in.capacity) in.grow(head_text_.size());
  std::memcpy(in.data, head_text_.data(), head_text_.size());
  in.end = head_text_.size();
  if (head_text_.capacity() > 4096) std::string().swap(head_text_);
  streams_[id] = std::move(side);
  // Not from inside the engine's callback: the exchange may answer at once.
  ++running_;
  asio::post(w_.loop(), [this, id] { asio::co_spawn(w_.loop(), serve_stream(id), asio::detached); });
}

void H2Connection::on_body(int32_t id, std::string_view data, bool end) {
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    engine_.body_consumed(id, data.size());
    return;
  }
  it->second->body_arrived(data, end);
}

void H2Connection::on_stream_closed(int32_t id, uint32_t) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second->engine_closed();
  if (!it->second->running()) stream_done(id);
}

void H2Connection::stream_done(int32_t id) {
  streams_.erase(id);
  if (streams_.empty() && !closing_) arm_idle();
}

asio::awaitable<void> H2Connection::serve_stream(int32_t id) {
  H2StreamSide* side = streams_.at(id).get();
  const config::ListenerConfig* l = listener();
  bool held = false;
  if (l != nullptr) held = co_await side->hold_body(kHeldBodyBytes, l->client_header_timeout.count());
  if (held) {
    PooledConnector connector(w_.loop(), w_.pool, w_.deadlines, w_.buffers, w_.target_tls);
    Exchange x(connector, w_.upstreams.snapshot());
    x.started_us = core::now_us();
    RecvBuffer& in = side->input();
    x.bytes_in = in.size();
    ClientFacts who;
    who.listener_index = client_.listener_index;
    who.family = client_.family;
    who.address = client_.address;
    who.secure = socket_.secure();
    who.http2 = true;
    who.ticket = &client_.ticket;
    ExchangeDriver exchange(w_, side->client(), x, who);
    RequestHead head(std::span<Header>(w_.header_scratch));
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
  side->exchange_over();
  if (!side->open_on_wire()) stream_done(id);
  if (--running_ == 0) finished_.cancel();
  kick();
}

}  // namespace fulcrum::http
