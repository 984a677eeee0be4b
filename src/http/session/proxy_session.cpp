#include "http/session/proxy_session.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <cstring>

#include "core/address_text.hpp"
#include "core/clock.hpp"
#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "core/use_tuple.hpp"
#include "http/exchange/client_side.hpp"
#include "http/exchange/exchange.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/session/h2_connection_over.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/h1/request_parser.hpp"
#include "http/stream/recv_buffer.hpp"
#include "http/stream/socket_stream.hpp"
#include "http/target/pooled_connector.hpp"

namespace fulcrum::http {
namespace {

using Socket = asio::ip::tcp::socket;
constexpr int64_t kLingerMs = 1000;  // reading what a refused client still sends, before closing
constexpr char kH2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";  // RFC 9113 §3.4

class ProxySession final : private ClientSide {
 public:
  ProxySession(HttpWorker& worker, size_t listener_index, SocketStream client, const asio::ip::tcp::endpoint& peer,
               std::shared_ptr<const tls::ServerContext> tls, security::ClientTicket ticket)
      : w_(worker),
        listener_index_(static_cast<uint32_t>(listener_index)),
        client_(std::move(client)),
        deadline_(worker.deadlines),
        ticket_(std::move(ticket)) {
    if (tls) client_.use_tls(std::make_unique<tls::TlsConnection>(std::move(tls), client_.native_handle()), w_.buffers);
    w_.active_sessions.fetch_add(1, std::memory_order_relaxed);  // for graceful shutdown
    if (auto* stats = listener_stats()) stats->local().connections_opened.add();
    if (peer.address().is_v4()) {
      auto bytes = peer.address().to_v4().to_bytes();
      std::memcpy(client_address_, bytes.data(), 4);
      client_family_ = AF_INET;
    } else {
      auto bytes = peer.address().to_v6().to_bytes();
      std::memcpy(client_address_, bytes.data(), 16);
      client_family_ = AF_INET6;
    }
  }

  // A parked connection whose next request arrived (IdleParking): it was counted open when
  // accepted and stays so; its first request is behind it.
  ProxySession(HttpWorker& worker, ParkedConnection& parked, SocketStream client)
      : w_(worker),
        first_(false),
        listener_index_(parked.listener_index),
        client_(std::move(client)),
        deadline_(worker.deadlines),
        client_family_(parked.family),
        ticket_(std::move(parked.ticket)) {
    std::memcpy(client_address_, parked.address, sizeof client_address_);
  }

  ~ProxySession() {
    if (parked_ || handed_over_) return;  // the parked record, or the HTTP/2 connection, carries it on
    if (auto* stats = listener_stats()) stats->local().connections_closed.add();
    w_.active_sessions.fetch_sub(1, std::memory_order_relaxed);
  }
  ProxySession(const ProxySession&) = delete;
  ProxySession& operator=(const ProxySession&) = delete;

  // Counts the session among those sending a head until it is complete (from accept for the
  // first head; from its first byte for a later one), making room at the listener's cap.
  void count_awaiting_head(const security::ListenerGuard& guard) {
    if (awaiting_.linked()) return;
    if (w_.awaiting_headers.join_capped(awaiting_, guard.awaiting_headers, guard.max_awaiting_headers, &client_.socket())) {
      auto line = w_.guards->record(guard, security::Event::headers_cap,
                                    security::ClientAddress::from_bytes(client_family_, client_address_));
      if (line.enabled()) line.field("limit", guard.max_awaiting_headers).field("action", "closed the oldest").emit();
    }
  }

  static void start(std::unique_ptr<ProxySession> session) {
    session->client_.set_no_delay();
    if (session->client_.secure()) {
      asio::io_context& loop = session->w_.loop();
      asio::co_spawn(loop, handshake(std::move(session)), asio::detached);
      return;
    }
    wait_idle(std::move(session));
  }

  // Bytes arrived on a parked connection: a session again (IdleParking's resume hook).
  static void resume(HttpWorker& worker, ParkedConnection& parked);

 private:
  static asio::awaitable<void> handshake(std::unique_ptr<ProxySession> self);
  static void wait_idle(std::unique_ptr<ProxySession> self);
  static void wait_idle_unbuffered(std::unique_ptr<ProxySession> self);
  static void await_request(std::unique_ptr<ProxySession> self, bool may_park);
  // Around any wait for the next request (bare or in serve()): the current snapshot, the idle
  // deadline (client_header_timeout before a first request) and the parking queue; then
  // whether the parking tick ended the wait (and the deadline had not passed): park it.
  void begin_idle_wait();
  bool end_idle_wait();
  static void park(std::unique_ptr<ProxySession> self);
  // The client speaks HTTP/2 (ALPN h2, or the h2c preface): its socket, address and ticket go
  // to an H2Connection with the bytes already read; this session ends without counting a close.
  static void hand_over_to_h2(std::unique_ptr<ProxySession> self);
  static asio::awaitable<void> serve(std::unique_ptr<ProxySession> self);
  asio::awaitable<bool> serve_one(bool first);

  // ClientSide: what the exchange uses of this connection.
  ByteStream& stream() override { return client_; }
  RecvBuffer& input() override { return in_; }
  Deadline& deadline() override { return deadline_; }
  asio::awaitable<void> linger_close() override;
  void end() override;
  // The address the client connected to ("10.0.0.1:80", "[::1]:80"): the Host sent on for a
  // request that has none. Rare (HTTP/1.0 without Host): a getsockname is fine here.
  std::string local_authority() override {
    const auto local = core::local_endpoint(client_.native_handle());
    return local ? local->to_string() : std::string{};
  }

  const config::ListenerConfig& listener() const { return snapshot_->config->listeners[listener_index_]; }
  // The listener's counters: the same object in every snapshot (listeners outlive reloads), so
  // the worker's current one serves and the session keeps no pointer of its own.
  upstream::TrafficStats* listener_stats() const {
    const auto& current = w_.upstreams.snapshot();
    if (!current || listener_index_ >= current->listener_stats.size()) return nullptr;
    return current->listener_stats[listener_index_].get();
  }

  HttpWorker& w_;
  bool first_ = true;
  uint32_t listener_index_;
  SocketStream client_;  // TLS on https listeners
  Deadline deadline_;
  RecvBuffer in_;
  uint8_t client_address_[16] = {};
  int client_family_ = AF_INET;
  security::ClientTicket ticket_;  // per-client limits (security:): released when the session ends
  AwaitingHeadersEntry awaiting_;   // counted while a head is incomplete (slowloris cap)
  IdleEntry idle_;                  // waiting for the next request (parked after a while)
  bool parked_ = false;             // handed over to IdleParking: the session object ends
  bool handed_over_ = false;        // handed over to an H2Connection: the session object ends
  bool h2_preface_ = false;         // serve_one() saw the HTTP/2 preface instead of a request
  uint32_t carried_in_ = 0;         // bytes read while awaiting the next request: its exchange counts them
  // The snapshot the current request is served from (the exchange holds a reference to it);
  // refreshed before each request. Every session byte counts: idle sessions are most of them.
  const upstream::Snapshot* snapshot_ = nullptr;

  // The client's address as text, for the log.
  std::string_view client_ip(char (&out)[INET6_ADDRSTRLEN]) const {
    const std::string_view text = core::address_text(client_family_, client_address_, out);
    return text.empty() ? std::string_view("?") : text;
  }
};


// Idle between requests the session is only this object, its socket and one pending wait: no
// coroutine frame and no buffer (the frames of serve() exist only while a request is served).
void ProxySession::wait_idle(std::unique_ptr<ProxySession> self) {
  ProxySession& session = *self;
  session.in_.release_if_empty();
  if (session.client_.has_pending()) {
    // Records already read from the socket (a request sent right behind the handshake, or
    // pipelined): readability would never come for them.
    asio::io_context& loop = session.w_.loop();
    asio::co_spawn(loop, serve(std::move(self)), asio::detached);
    return;
  }
  session.begin_idle_wait();
  await_request(std::move(self), true);
}

// The wait itself: readable, serve the next request. Else, with `may_park`, idle for the
// parking delay: parked (TLS: its record buffers freed, then the wait goes on). Else idle
// timeout, shutdown, or the client went away: the session ends here.
void ProxySession::await_request(std::unique_ptr<ProxySession> self, bool may_park) {
  ProxySession& session = *self;
  session.client_.socket().async_wait(Socket::wait_read, [self = std::move(self), may_park](const asio::error_code& ec) mutable {
    const bool park_now = self->end_idle_wait() && may_park;
    if (ec) {
      if (park_now && self->client_.secure()) wait_idle_unbuffered(std::move(self));
      else if (park_now) park(std::move(self));
      return;
    }
    asio::io_context& loop = self->w_.loop();
    asio::co_spawn(loop, serve(std::move(self)), asio::detached);
  });
}

// An https session idle for the parking delay cannot leave Asio (its TLS state lives in the
// session), but it gives back OpenSSL's record buffers (~34 KiB together: SSL_free_buffers),
// which a busy connection keeps from request to request instead of allocating and freeing them
// per record (SSL_MODE_RELEASE_BUFFERS, which we no longer set). It then waits out the rest of
// the same idle deadline.
void ProxySession::wait_idle_unbuffered(std::unique_ptr<ProxySession> self) {
  ProxySession& session = *self;
  if (session.w_.draining || !session.client_.is_open()) return;  // draining: idle connections close
  session.client_.release_buffers();
  session.deadline_.arm(std::max<int64_t>(session.deadline_.at_ms() - core::now_ms(), 1), &session.client_);
  await_request(std::move(self), false);
}

void ProxySession::begin_idle_wait() {
  // The exchange that kept the last request's snapshot alive has ended: a reload meanwhile may
  // have freed it. The worker's current one names the listener from here on.
  snapshot_ = w_.upstreams.snapshot().get();
  const auto& l = listener();
  const int64_t timeout_ms = first_ ? l.client_header_timeout.count() : l.idle_timeout.count();
  deadline_.arm(timeout_ms, &client_);
  // After a first request, plain connections are parked outside Asio if they stay idle; TLS
  // ones, from the handshake on, free their record buffers instead (wait_idle_unbuffered).
  if (client_.secure() || !first_) w_.parking.enter(idle_, client_.socket(), deadline_.at_ms() - timeout_ms);
}

bool ProxySession::end_idle_wait() {
  deadline_.disarm();
  const bool park_requested = idle_.park_requested();
  idle_.leave();
  return park_requested && !deadline_.expired();
}

// The session leaves Asio: its descriptor, address, ticket and idle deadline go to a parked
// record; the session object (with Asio's per-descriptor state) is freed.
void ProxySession::park(std::unique_ptr<ProxySession> self) {
  ProxySession& session = *self;
  if (session.w_.draining || !session.client_.is_open()) return;  // draining: idle connections close
  asio::error_code ec;
  const int fd = session.client_.socket().release(ec);
  if (ec) return;
  if (!session.w_.parking.park(fd, session.listener_index_, session.client_family_, session.client_address_,
                               session.ticket_, session.deadline_.at_ms())) {
    ::close(fd);  // the session ends: counted closed, its ticket released
    return;
  }
  session.parked_ = true;
}

void ProxySession::resume(HttpWorker& worker, ParkedConnection& parked) {
  Socket socket(worker.loop());
  asio::error_code ec;
  socket.assign(parked.family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), parked.fd, ec);
  auto session = std::make_unique<ProxySession>(worker, parked, SocketStream(std::move(socket)));
  if (ec) {
    ::close(parked.fd);  // the session ends at once: counted closed
    return;
  }
  asio::co_spawn(worker.loop(), serve(std::move(session)), asio::detached);
}

// The TLS handshake of an https connection, within client_header_timeout; then the session
// idles like any other until its first request.
asio::awaitable<void> ProxySession::handshake(std::unique_ptr<ProxySession> self) {
  ProxySession& session = *self;
  session.snapshot_ = session.w_.upstreams.snapshot().get();
  session.deadline_.arm(session.listener().client_header_timeout.count(), &session.client_);
  const bool done = co_await session.client_.handshake();
  session.deadline_.disarm();
  if (!done) {
    session.w_.tls_handshake_failures++;
    // TLS errors (no common version or cipher, bad records) are warnings; a client that resets
    // or closes mid-handshake (port probes, load generators stopping) is routine: debug; a
    // handshake that never finishes: info. One the slowloris cap closed is counted and logged
    // under the security budget already: debug.
    const core::LogLevel level = session.awaiting_.evicted()      ? core::LogLevel::debug
                                 : session.client_.tls()->protocol_error() ? core::LogLevel::warn
                                 : session.deadline_.expired()    ? core::LogLevel::info
                                                                  : core::LogLevel::debug;
    core::LogLine line(level, "tls.handshake_failed");
    if (line.enabled()) {
      char ip[INET6_ADDRSTRLEN];
      line.field("listener", session.listener().name)
          .field("client", session.client_ip(ip))
          .field("reason", session.deadline_.expired() ? std::string_view("timed out") : session.client_.tls()->reason())
          .emit();
    }
    co_return;  // the session ends: its socket closes
  }
  session.w_.tls_handshakes++;
  if (session.client_.tls()->resumed()) session.w_.tls_resumed++;
  if (session.client_.tls()->alpn() == "h2") {
    hand_over_to_h2(std::move(self));
    co_return;
  }
  wait_idle(std::move(self));
}

asio::awaitable<void> ProxySession::serve(std::unique_ptr<ProxySession> self) {
  ProxySession& session = *self;
  for (;;) {
    bool keep = true;
    // Requests already in the buffer (pipelined) are served at once, then the session idles.
    do {
      session.snapshot_ = session.w_.upstreams.snapshot().get();
      keep = co_await session.serve_one(session.first_);
      if (session.h2_preface_) {
        hand_over_to_h2(std::move(self));
        co_return;
      }
      session.first_ = false;
    } while (keep && session.client_.is_open() && !session.in_.empty());
    if (!keep || !session.client_.is_open()) co_return;
    // A busy keep-alive client's next request is awaited here, in this frame, with a read: Asio
    // queues it on the socket's edge-triggered registration without a system call, where a
    // bare wait (wait_idle) re-arms epoll and a new coroutine is spawned per request. The
    // parking tick ends the read of one idle for kParkAfterMs like any idle wait.
    if (session.client_.secure() || session.w_.hot_waiters >= HttpWorker::kMaxHotWaiters) break;
    session.begin_idle_wait();
    if (session.in_.large) session.in_.release_if_empty();  // a one-off large head's buffer goes
    session.in_.ensure(session.w_.buffers);
    ++session.w_.hot_waiters;
    auto [ec, n] = co_await session.client_.read_some(session.in_.free_space(), session.in_.free_size());
    --session.w_.hot_waiters;
    const bool park_now = session.end_idle_wait();
    if (ec) {
      session.in_.release_if_empty();
      if (park_now) park(std::move(self));
      co_return;  // else idle timeout, shutdown, or the client went away: the session ends
    }
    session.in_.end += n;
    session.carried_in_ += n;
  }
  wait_idle(std::move(self));
}

void ProxySession::hand_over_to_h2(std::unique_ptr<ProxySession> self) {
  ProxySession& session = *self;
  session.deadline_.disarm();
  session.awaiting_.leave();
  H2Client client;
  client.listener_index = session.listener_index_;
  client.family = session.client_family_;
  std::memcpy(client.address, session.client_address_, sizeof client.address);
  client.ticket = std::move(session.ticket_);
  auto connection = std::make_unique<SocketH2Connection>(session.w_, std::move(session.client_), std::move(client));
  session.handed_over_ = true;
  // The bytes already read (the preface and what followed it) are taken before this returns.
  SocketH2Connection::start(std::move(connection), session.in_.view());
  session.in_.begin = session.in_.end = 0;
}

// An orderly end of the client connection (after TLS's close_notify when it is TLS).
void ProxySession::end() {
  client_.shutdown_send();
  client_.close();
}

// After refusing a request, the client may still be sending (the rest of a body, pipelined
// requests). Closing with unread bytes would reset the connection and could destroy the error
// response before the client reads it, so: stop sending, read and drop for a moment, close.
asio::awaitable<void> ProxySession::linger_close() {
  // TLS: close_notify, then the raw bytes are drained unread (they are ciphertext).
  asio::error_code ec = client_.shutdown_send();
  if (!ec) {
    char sink[4096];
    deadline_.arm(kLingerMs, &client_);
    for (uint64_t total = 0; total < (1u << 20);) {
      auto [read_ec, n] = co_await client_.socket().async_read_some(asio::buffer(sink), use_tuple);
      if (read_ec) break;
      total += n;
    }
    deadline_.disarm();
  }
  client_.close();
}

// One request: its head read and classified here (HTTP/1.1 is this session's protocol), then
// the exchange serves it (http/exchange/exchange_driver.hpp) through this session as its
// ClientSide.
asio::awaitable<bool> ProxySession::serve_one(bool first) {
  const auto& l = listener();
  PooledConnector connector(w_.loop(), w_.pool, w_.deadlines, w_.buffers, w_.target_tls);
  Exchange x(connector, w_.upstreams.snapshot());
  x.started_us = core::now_us();
  in_.ensure(w_.buffers);
  x.bytes_in = carried_in_;
  carried_in_ = 0;
  const ClientFacts who{listener_index_, client_family_, client_address_, client_.secure(), &ticket_};
  ExchangeDriver exchange(w_, *this, x, who);

  // The head, within client_header_timeout.
  RequestHead head(std::span<Header>(w_.header_scratch));
  RequestParser parser(limits_of(l));
  ParseResult parsed;
  const size_t head_limit = static_cast<size_t>(l.max_header_bytes) + 1024;
  deadline_.arm(l.client_header_timeout.count(), &client_);
  for (;;) {
    // HTTP/2 with prior knowledge (h2c) opens with its preface where a first request would be.
    bool preface_begun = false;
    if (first && l.http2 && !client_.secure() && !in_.empty()) {
      const std::string_view preface = kH2Preface;
      const std::string_view seen = in_.view().substr(0, preface.size());
      if (preface.starts_with(seen)) {
        if (seen.size() == preface.size()) {
          deadline_.disarm();
          h2_preface_ = true;
          co_return false;
        }
        preface_begun = true;  // the rest of it is on its way
      }
    }
    parsed = in_.empty() || preface_begun ? ParseResult::more() : parser.parse(in_.view(), head);
    if (!parsed.need_more()) break;
    // A head begun but not complete counts toward max_connections_awaiting_headers (a head
    // that arrives whole never does).
    if (!in_.empty() && !awaiting_.linked()) {
      if (const security::ListenerGuard* guard = w_.guard(listener_index_);
          guard != nullptr && guard->max_awaiting_headers != 0) {
        count_awaiting_head(*guard);
      }
    }
    if (in_.full()) {
      if (in_.begin > 0) in_.compact();
      else in_.grow(head_limit);  // the parser refuses past max_header_bytes before this fills
    }
    auto [ec, n] = co_await client_.read_some(in_.free_space(), in_.free_size());
    if (ec) {
      deadline_.disarm();
      const bool timed_out = deadline_.expired();
      if (timed_out && !in_.empty()) co_await exchange.refuse(408);
      in_.begin = in_.end = 0;
      co_return false;  // a client closing or idling between requests is no error
    }
    in_.end += n;
    x.bytes_in += n;
  }
  deadline_.disarm();
  awaiting_.leave();
  exchange.start();

  if (parsed.error()) {
    const Classification c = classify_parse_error(parsed);
    x.desync = c.reason;
    x.tier = c.tier;
    co_await exchange.refuse(c.status);
    co_return false;
  }
  co_return co_await exchange.run(head, classify_request(head), parsed.head_size);
}

}  // namespace

asio::awaitable<void> http_accept_loop(HttpWorker& worker, asio::ip::tcp::acceptor& acceptor, size_t listener_index) {
  // https listeners: the worker's current TLS context for this listener (a reload may replace it).
  asio::ip::tcp::endpoint peer;
  int64_t last_error_log_ms = 0;
  worker.parking.set_resume(&ProxySession::resume);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(peer, use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or memory: say so at most once a second, back off briefly, go on.
      const int64_t now = core::now_ms();
      if (now - last_error_log_ms >= 1000) {
        last_error_log_ms = now;
        core::LogLine(core::LogLevel::error, "listener.accept_failed").field("reason", ec.message()).emit();
      }
      if (ec == asio::error::no_descriptors || ec == asio::error::no_memory || ec == asio::error::no_buffer_space) {
        asio::steady_timer pause(worker.loop(), std::chrono::milliseconds(50));
        co_await pause.async_wait(use_tuple);
      }
      continue;
    }
    if (!worker.upstreams.ready()) continue;
    // Access list and per-client connection limits, before a byte is read (or a handshake made).
    security::ClientTicket ticket;
    if (const security::ListenerGuard* guard = worker.guard(listener_index);
        guard != nullptr && !worker.guards->admit(*guard, security::ClientAddress::from(peer.data()), ticket)) {
      asio::error_code ignored;
      socket.set_option(asio::socket_base::linger(true, 0), ignored);  // a reset: no state lingers
      socket.close(ignored);
      continue;
    }
    std::shared_ptr<const tls::ServerContext> tls;
    if (listener_index < worker.tls.size()) tls = worker.tls[listener_index];
    auto session = std::make_unique<ProxySession>(worker, listener_index, SocketStream(std::move(socket)), peer, std::move(tls),
                                                  std::move(ticket));
    if (const security::ListenerGuard* guard = worker.guard(listener_index);
        guard != nullptr && guard->max_awaiting_headers != 0) {
      // At the cap, this worker's oldest connection still sending a head makes room.
      session->count_awaiting_head(*guard);
    }
    ProxySession::start(std::move(session));
  }
}

}  // namespace fulcrum::http
