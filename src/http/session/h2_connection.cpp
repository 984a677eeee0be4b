#include "http/session/h2_connection.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/clock.hpp"
#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "http/h2/h2_request.hpp"
#include "http/session/h2_stream_side.hpp"

namespace fulcrum::http {
namespace {
constexpr size_t kGatherBytes = 64 * 1024;  // engine output gathered into one write, at most

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

H2Connection::H2Connection(HttpWorker& worker, bool secure, H2Client client)
    : writer_wake_(worker.loop(), std::chrono::steady_clock::time_point::max()),
      finished_(worker.loop(), std::chrono::steady_clock::time_point::max()),
      send_deadline_(worker.deadlines),
      w_(worker),
      secure_(secure),
      client_(std::move(client)),
      engine_(*this, engine_limits(listener_of(worker, client_.listener_index))),
      idle_deadline_(worker.deadlines) {
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
  const auto local = core::local_endpoint(stream_->native_handle());
  return local ? local->to_string() : std::string{};
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
  idle_deadline_.arm(timeout_ms, stream_);
}

void H2Connection::begin(std::string_view received) {
  arm_idle();
  if (w_.draining) shut_down();  // handed over while the worker drains: one request at most
  if (!received.empty() && !engine_.receive(received)) closing_ = true;
}

bool H2Connection::received(std::string_view bytes) {
  if (!engine_.receive(bytes)) {
    // A connection error: the engine queued GOAWAY; it goes out, then the connection ends.
    closing_ = true;
    if (engine_.calm_exceeded()) {
      core::LogLine line(core::LogLevel::info, "http2.calm_exceeded");
      if (line.enabled()) line.field("listener", listener() ? std::string_view(listener()->name) : "?").emit();
    }
  }
  kick();
  return !engine_.finished();
}

void H2Connection::reader_ended() {
  // An idle or header deadline that passed ends the connection politely.
  if (idle_deadline_.expired() && !shut_down_ && !dead_) engine_.shut_down();
  idle_deadline_.disarm();
  closing_ = true;
  end_all_streams();
  kick();
}

void H2Connection::end_all_streams() {
  for (auto& [id, side] : streams_) side->engine_closed();
}

std::string_view H2Connection::gather() {
  out_.clear();
  while (out_.size() < kGatherBytes) {
    const std::string_view piece = engine_.output();
    if (piece.empty()) break;
    out_.append(piece);
    engine_.sent(piece.size());
  }
  for (auto& [id, side] : streams_) side->window_moved();
  return out_;
}

bool H2Connection::writer_done() {
  if (dead_ || engine_.finished() || (closing_ && streams_.empty()) ||
      (closing_ && std::none_of(streams_.begin(), streams_.end(), [](const auto& s) { return s.second->running(); }))) {
    return true;
  }
  if (streams_.empty()) out_.shrink_to_fit();  // an idle connection holds no write buffer
  return false;
}

int64_t H2Connection::send_timeout_ms() const {
  const config::ListenerConfig* l = listener();
  return l != nullptr ? l->send_timeout.count() : 60000;
}

bool H2Connection::wrote(asio::error_code ec, bool timed_out) {
  memory_released_ = false;  // the frame buffer was written to: its pages are back
  if (!ec) return true;
  if (timed_out) {
    core::LogLine line(core::LogLevel::info, "http2.send_timeout");
    if (line.enabled()) line.field("listener", listener() ? std::string_view(listener()->name) : "?").emit();
  }
  dead_ = true;
  return false;
}

void H2Connection::writer_ended() {
  out_.clear();
  out_.shrink_to_fit();
  // The reader may be waiting for bytes that will not matter now.
  if (!closing_ || dead_) {
    closing_ = true;
    stream_->cancel();
  }
  if (dead_) end_all_streams();
  coroutine_ended();
}

H2StreamSide* H2Connection::open_stream(int32_t id, const H2Request& request) {
  if (closing_) {
    engine_.reset(id, 0x7);  // REFUSED_STREAM: the client may retry it elsewhere
    return nullptr;
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
  H2StreamSide* opened = side.get();
  streams_[id] = std::move(side);
  return opened;
}

ClientFacts H2Connection::client_facts() {
  ClientFacts who;
  who.listener_index = client_.listener_index;
  who.family = client_.family;
  who.address = client_.address;
  who.secure = secure_;
  who.http2 = true;
  who.ticket = &client_.ticket;
  return who;
}

void H2Connection::stream_ended(H2StreamSide& side) {
  side.exchange_over();
  if (!side.open_on_wire()) stream_done(side.id());
  coroutine_ended();
  kick();
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

}  // namespace fulcrum::http
