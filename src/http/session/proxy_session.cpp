#include "http/session/proxy_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "core/address_text.hpp"
#include "core/clock.hpp"
#include "core/endpoint.hpp"
#include "core/log.hpp"
#include "http/exchange/canned_response.hpp"
#include "http/h1/char_class.hpp"
#include "http/h1/chunked_decoder.hpp"
#include "http/exchange/combined_log_line.hpp"
#include "http/h1/content_length_body.hpp"
#include "http/h1/desync_classifier.hpp"
#include "http/exchange/head_pick_keys.hpp"
#include "http/h1/head_writer.hpp"
#include "http/stream/recv_buffer.hpp"
#include "http/exchange/redirect_location.hpp"
#include "http/exchange/rule_matcher.hpp"
#include "http/exchange/sticky_cookie.hpp"
#include "http/h1/request_parser.hpp"
#include "http/h1/response_parser.hpp"
#include "http/stream/socket_stream.hpp"
#include "http/target/target_dial.hpp"
#include "http/target/target_report.hpp"

namespace fulcrum::http {
namespace {

using asio::experimental::as_tuple;
using Socket = asio::ip::tcp::socket;
constexpr auto use_tuple = as_tuple(asio::use_awaitable);
constexpr size_t kMaxConnectAttempts = 16;
constexpr int64_t kLingerMs = 1000;  // reading what a refused client still sends, before closing


// In-flight requests on a target (least_connections and friends read it), lowered on every path.
struct InFlight {
  explicit InFlight(balance::TargetCounters* c = nullptr) : counters(c) {
    if (counters) counters->active.fetch_add(1, std::memory_order_relaxed);
  }
  InFlight(InFlight&& other) noexcept : counters(other.counters) { other.counters = nullptr; }
  InFlight& operator=(InFlight&& other) noexcept {
    release();
    counters = other.counters;
    other.counters = nullptr;
    return *this;
  }
  ~InFlight() { release(); }
  void release() {
    if (counters) counters->active.fetch_sub(1, std::memory_order_relaxed);
    counters = nullptr;
  }
  balance::TargetCounters* counters;
};

// Copies of request facts kept for the access log after the receive buffer is reused by the
// body; truncated, fixed size, no allocation.
template <size_t N>
struct SmallText {
  char data[N];
  uint16_t size = 0;
  void assign(std::string_view text) {
    size = static_cast<uint16_t>(std::min(text.size(), N));
    if (size != 0) std::memcpy(data, text.data(), size);  // an empty view may hold a null pointer
  }
  std::string_view view() const { return {data, size}; }
};

ParserLimits limits_of(const config::ListenerConfig& listener) {
  ParserLimits limits;
  limits.max_request_line = listener.max_request_line;
  limits.max_header_bytes = listener.max_header_bytes;
  limits.max_headers = listener.max_headers;
  return limits;
}

// reconfigured: a new snapshot arrived while the request was in flight (a retry after its
// target was deregistered): our group and target indexes no longer name anything -> 502.
// refused covers every failure before an answer (refused, reset, closed): 502; timeout: 504.
enum class ConnectFailure : uint8_t { none, no_target, refused, timeout, reconfigured };

// Where an attempt failed decides whether the request may go to another target (retries the
// client never sees; docs/configuration.md § Retries).
enum class AttemptFailure : uint8_t {
  not_sent,     // refused or reset before any of the request was written, or the write failed
  no_response,  // written whole, then the connection closed or reset before a response byte
  timed_out,    // written whole, then response_timeout passed before a response byte
};

class ProxySession {
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
    if (parked_) return;  // the parked record carries the connection on
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
  static asio::awaitable<void> serve(std::unique_ptr<ProxySession> self);
  struct Exchange;
  asio::awaitable<bool> serve_one(bool first);
  asio::awaitable<bool> respond(uint16_t status, bool close, Exchange* exchange = nullptr,
                                std::string_view extra_headers = {}, std::string_view content_type = {},
                                std::string_view body = {}, bool use_default_body = true);
  asio::awaitable<bool> write_client(std::string_view a, std::string_view b = {});
  asio::awaitable<void> linger_close();
  // Picks and connects; on a retry (x.attempts > 0) only within max_connect_attempts and the
  // group's retry budget. same_target: a fresh connection to x.target_index first.
  asio::awaitable<ConnectFailure> connect(Exchange& x, bool allow_pool, bool same_target = false);
  // Whether a request whose attempt failed this way may go to another target.
  bool may_retry(const Exchange& x, AttemptFailure failure) const;
  asio::awaitable<bool> forward(Exchange& x);
  // nullopt: the body passed; else the request was answered (true: the connection goes on).
  asio::awaitable<std::optional<bool>> inspect_body(Exchange& x, security::WafRules& waf);
  void record_waf(const Exchange& x, const security::WafVerdict& verdict, std::string_view part);
  asio::awaitable<void> tunnel(Exchange& x, RecvBuffer& tin, std::string_view head);
  // A dial that failed: counted, reported (passive health), logged.
  void connect_failed(Exchange& x, const upstream::GroupSnapshot& group, const upstream::TargetInfo& target,
                      const DialResult& dial);
  void end_client();
  void log_request(Exchange& x);
  std::string_view tried_targets(const Exchange& x, char (&out)[512]) const;
  void find_sticky_target(Exchange& x, const RequestHead& head);
  std::string_view sticky_set_cookie(Exchange& x, const ResponseHead& response, char (&out)[256]);

  const config::ListenerConfig& listener() const { return snapshot_->config->listeners[listener_index_]; }
  // The listener's counters: the same object in every snapshot (listeners outlive reloads), so
  // the worker's current one serves and the session keeps no pointer of its own.
  upstream::TrafficStats* listener_stats() const {
    const auto& current = w_.upstreams.snapshot();
    if (!current || listener_index_ >= current->listener_stats.size()) return nullptr;
    return current->listener_stats[listener_index_].get();
  }
  void record_stats(const Exchange& x);

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
  uint32_t carried_in_ = 0;         // bytes read while awaiting the next request: its exchange counts them
  // The snapshot the current request is served from (the exchange holds a reference to it);
  // refreshed before each request. Every session byte counts: idle sessions are most of them.
  const upstream::Snapshot* snapshot_ = nullptr;

  // The client's address as text, for headers and the log.
  std::string_view client_ip(char (&out)[INET6_ADDRSTRLEN]) const {
    const std::string_view text = core::address_text(client_family_, client_address_, out);
    return text.empty() ? std::string_view("?") : text;
  }

  // The address the client connected to ("10.0.0.1:80", "[::1]:80"): the Host sent on for a
  // request that has none. Rare (HTTP/1.0 without Host): a getsockname is fine here.
  std::string local_authority() {
    const auto local = core::local_endpoint(client_.native_handle());
    return local ? local->to_string() : std::string{};
  }
};

// Everything about one request in flight; lives in serve_one()'s frame only while it runs.
struct ProxySession::Exchange {
  Exchange(asio::io_context& loop, std::shared_ptr<const upstream::Snapshot> s)
      : snapshot(std::move(s)), target(loop) {}
  std::shared_ptr<const upstream::Snapshot> snapshot;  // keeps what snapshot_ points to alive
  int64_t started_us = 0;
  SmallText<16> method;
  SmallText<128> host;
  SmallText<256> path;
  // Only for the combined access-log format (copied only when it is on).
  SmallText<256> referer;
  SmallText<256> user_agent;
  Method method_id = Method::other;
  bool client_http10 = false;
  bool client_keep_alive = true;
  bool idempotent = false;       // GET, HEAD, PUT, DELETE, OPTIONS, TRACE: may be sent twice
  bool expect_continue = false;  // the client waits for 100 Continue before its body
  bool continue_sent = false;    // ... and got it (from us, before the body was inspected)
  bool upgrade = false;          // Connection: upgrade (WebSocket): tunnel after 101
  bool close_after = false;  // forward_then_close, or an error
  DesyncReason desync = DesyncReason::compliant;
  DesyncTier tier = DesyncTier::compliant;
  char request_id[32];
  std::string_view rule;
  // Request body progress.
  BodyFraming framing = BodyFraming::none;
  ContentLengthBody length_body{0};
  ChunkedDecoder chunked;
  bool body_done = true;
  size_t buffered_body = 0;  // body bytes that came with the head, still in the buffer
  bool replayable = true;    // a retry can resend the whole request: in the buffer, or in `replay`
  // A body larger than the receive buffer, kept as it streams while it stays within the group's
  // retry_body_limit, so that a retry can send it again (allocated only for such bodies).
  std::vector<char> replay;
  bool replay_started = false;
  // Target side.
  int group_index = -1;
  int target_index = -1;
  SocketStream target;  // TLS toward https groups
  // Linked in the worker's OpenSessions while `target` is connected, so that the end of the
  // target's deregistration delay shuts it down; declared after `target` so that it unlinks
  // before the socket closes (a closed descriptor's number may already belong to another).
  std::optional<upstream::OpenSessions::Entry> registered;
  bool reused = false;
  uint32_t attempts = 0;  // targets picked for this request; avoid[0..attempts) lists them
  std::array<uint32_t, kMaxConnectAttempts> avoid{};
  ConnectFailure failure = ConnectFailure::no_target;  // how the last attempt failed, if one did
  // The failed attempt had written the whole request, so a target may have acted on it: the
  // retry adds work and draws on the group's retry budget. One whose request never got through
  // (refused, failed write) adds none and is bounded by max_connect_attempts alone.
  bool target_saw_request = false;
  upstream::BudgetedRequest budgeted;  // counted in the group's retry budget while in flight
  InFlight in_flight;
  std::optional<uint64_t> pick_hash;  // the ip_hash key (upstream/pick_request.hpp), from the head
  // Stickiness: the target the client's cookie names (-1: none usable), and whether to (re)issue.
  int sticky_target = -1;
  bool issue_cookie = false;
  // Outgoing head (rewritten) and its storage.
  core::BufferPool::Lease out_lease;
  std::vector<char> out_large;
  std::string_view out_head;
  // Result.
  uint16_t status = 0;
  uint64_t bytes_in = 0;   // request bytes read from the client (head + body)
  uint64_t bytes_out = 0;  // response bytes written to the client
  int64_t connect_us = -1;
  int64_t first_byte_us = -1;
  TargetOutcome outcome = TargetOutcome::response;
  bool target_reported = false;

  // Closes the target connection (unlinking it first).
  void drop_target() {
    registered.reset();
    target.close();
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

asio::awaitable<bool> ProxySession::write_client(std::string_view a, std::string_view b) {
  deadline_.arm(listener().idle_timeout.count(), &client_);
  const asio::error_code ec = co_await client_.write(a, b);
  deadline_.disarm();
  co_return !ec;
}

// An orderly end of the client connection (after TLS's close_notify when it is TLS).
void ProxySession::end_client() {
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

asio::awaitable<bool> ProxySession::respond(uint16_t status, bool close, Exchange* exchange,
                                            std::string_view extra_headers, std::string_view content_type,
                                            std::string_view body, bool use_default_body) {
  char storage[2048];
  std::unique_ptr<char[]> large;
  char* data = storage;
  size_t capacity = sizeof storage;
  if (body.size() + extra_headers.size() + 512 > capacity) {
    capacity = body.size() + extra_headers.size() + 512;
    large = std::make_unique<char[]>(capacity);
    data = large.get();
  }
  HeadWriter out(data, capacity);
  const bool head_request = exchange != nullptr && exchange->method_id == Method::head;
  write_canned_response(out, status, close, extra_headers,
                        content_type.empty() ? std::string_view("text/plain; charset=utf-8") : content_type, body,
                        head_request, use_default_body);
  if (exchange != nullptr) {
    exchange->status = status;
    exchange->bytes_out += out.size();
  }
  const bool written = co_await write_client(out.view());
  if (!written) {
    client_.close();
    co_return false;
  }
  if (close) {
    co_await linger_close();
    co_return false;
  }
  co_return true;
}

asio::awaitable<ConnectFailure> ProxySession::connect(Exchange& x, bool allow_pool, bool same_target) {
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const uint32_t max_attempts = std::min<uint32_t>(group.config->max_connect_attempts, kMaxConnectAttempts);
  for (;;) {
    if (w_.upstreams.snapshot().get() != snapshot_) {  // our indexes belong to snapshot_
      x.failure = ConnectFailure::reconfigured;
      break;
    }
    balance::PickRequest request;
    request.hash = x.pick_hash;
    request.now_ms = core::now_ms();
    request.avoid = std::span<const uint32_t>(x.avoid.data(), x.attempts);
    std::optional<uint32_t> picked;
    if (same_target) {
      // A pooled connection the target had closed: the same target on a fresh connection, not a
      // retry (the target did nothing wrong), so no attempt and no budget is spent.
      same_target = false;
      picked = static_cast<uint32_t>(x.target_index);
      --x.attempts;
    } else if (x.attempts >= max_attempts) {
      break;
    } else if (x.attempts > 0 && x.target_saw_request &&
               !x.budgeted.allow_retry()) {
      core::LogLine(core::LogLevel::debug, "http.retry_budget_spent")
          .field("listener", listener().name)
          .field("group", group.name())
          .emit();
      break;
    } else if (x.sticky_target >= 0 && x.attempts == 0) {
      picked = static_cast<uint32_t>(x.sticky_target);
    } else {
      picked = w_.upstreams.picker(static_cast<size_t>(x.group_index)).pick(request);
      if (x.sticky_target >= 0 || group.config->stickiness.type == config::StickinessType::lb_cookie) {
        x.issue_cookie = true;  // the sticky target failed to connect: the client moves, and is told
      }
    }
    if (!picked) break;
    x.avoid[x.attempts++] = *picked;
    const auto& target = group.targets[*picked];
    if (x.attempts > 1 && target.stats) target.stats->local().retries.add();
    x.target_index = static_cast<int>(*picked);
    x.in_flight = InFlight(target.counters.get());
    if (allow_pool && group.config->keepalive_connections > 0) {
      if (auto pooled = w_.pool.take(target.counters.get(), target.address, request.now_ms, x.replayable)) {
        x.target = std::move(*pooled);
        x.reused = true;
        x.connect_us = 0;
        x.registered.emplace(w_.upstreams.sessions(), target.outcomes.get(), -1, x.target.native_handle());
        co_return ConnectFailure::none;
      }
    }
    x.reused = false;
    const int64_t started = core::now_us();
    x.drop_target();
    TargetDial dial;
    dial.address = &target.address;
    dial.https = group.config->protocol == config::TargetProtocol::https;
    static const std::shared_ptr<const tls::ClientContext> kNoContext;
    const size_t g = static_cast<size_t>(x.group_index);
    dial.tls = g < w_.target_tls.size() ? &w_.target_tls[g] : &kNoContext;
    std::string server_name;
    if (dial.https && *dial.tls) dial.server_name = server_name = target.address.host_string();
    dial.timeout_ms = group.config->connect_timeout.count();
    const DialResult result = co_await dial_target(x.target, dial, deadline_, w_.buffers);
    if (result.tcp_connected && target.stats) target.stats->local().connections_opened.add();
    x.connect_us = core::now_us() - started;
    if (!result.error) {
      x.registered.emplace(w_.upstreams.sessions(), target.outcomes.get(), -1, x.target.native_handle());
      co_return ConnectFailure::none;
    }
    connect_failed(x, group, target, result);
    x.drop_target();  // after the log: its reason may point into the TLS connection
  }
  x.in_flight.release();
  co_return x.failure;
}

void ProxySession::connect_failed(Exchange& x, const upstream::GroupSnapshot& group,
                                  const upstream::TargetInfo& target, const DialResult& dial) {
  const ConnectFailure failure =
      dial.error == asio::error::timed_out ? ConnectFailure::timeout : ConnectFailure::refused;
  x.failure = failure;
  x.target_saw_request = false;
  x.outcome = failure == ConnectFailure::timeout ? TargetOutcome::connect_timeout : TargetOutcome::connect_refused;
  if (target.stats) target.stats->local().connect_errors.add();
  report_target_outcome(group, target, x.outcome, 0, x.connect_us, core::now_us());
  core::LogLine(core::LogLevel::warn, dial.tls_failed ? "http.target_tls_failed" : "http.connect_failed")
      .field("listener", listener().name)
      .field("group", group.name())
      .field("target", target.address_text)
      .field("reason", failure == ConnectFailure::timeout ? std::string_view("connect timeout") : dial.reason)
      .emit();
}

bool ProxySession::may_retry(const Exchange& x, AttemptFailure failure) const {
  // Only a request still whole in the buffer can be sent again (its body came with its head).
  if (!x.replayable) return false;
  const auto& group = *snapshot_->groups[static_cast<size_t>(x.group_index)].config;
  // Some of the body may have reached the target: a large one is not sent twice.
  if (std::max<size_t>(x.buffered_body, x.replay.size()) > group.retry_body_limit) return false;
  switch (failure) {
    case AttemptFailure::not_sent: return true;  // nothing reached the target: any method
    case AttemptFailure::no_response: return x.idempotent;  // it may have acted on it
    case AttemptFailure::timed_out: return x.idempotent && group.retry_on_timeout;
  }
  return false;
}

// Sends the request and relays the response. Returns whether the client connection may serve
// another request. Every path answers the client (or closes it) before returning.
asio::awaitable<bool> ProxySession::forward(Exchange& x) {
  const auto& l = listener();
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  // The body bytes that came with the head; kept in place until the target has answered, so a
  // request whose whole body came with it can be replayed on a fresh connection.
  const size_t body_begin = in_.begin;
  const size_t saved_end = in_.end;
  const size_t buffered = x.buffered_body;
  RecvBuffer tin;  // the target's bytes
  ResponseHead response(std::span<Header>(w_.header_scratch));
  ResponseParser response_parser(limits_of(l));
  ParseResult head_result;
  bool allow_pool = true;
  bool same_target = false;
  int64_t sent_us = 0;
  x.budgeted.reset(group.retry_budget.get(), group.config->retry_budget_percent);

  for (int round = 0;; ++round) {
    if (round > 0 && !x.replay_started) {
      in_.begin = body_begin;
      in_.end = saved_end;
    }
    ConnectFailure failure = co_await connect(x, allow_pool, same_target);
    same_target = false;
    if (failure != ConnectFailure::none) {
      const uint16_t status = failure == ConnectFailure::no_target ? 503
                              : failure == ConnectFailure::timeout ? 504
                                                                   : 502;
      co_return co_await respond(status, !x.body_done || x.close_after || !x.client_keep_alive, &x);
    }
    const auto& target = group.targets[static_cast<size_t>(x.target_index)];
    const bool may_replay = x.reused && x.replayable && round == 0;
    // The head and the body bytes that came with it, in one write (on a retry of a streamed
    // body: the head and every body byte sent so far).
    const std::string_view body_so_far = x.replay_started ? std::string_view(x.replay.data(), x.replay.size())
                                                          : std::string_view(in_.data + body_begin, buffered);
    deadline_.arm(l.idle_timeout.count(), &x.target);
    const asio::error_code write_ec = co_await x.target.write(x.out_head, body_so_far);
    deadline_.disarm();
    if (write_ec) {
      x.drop_target();
      if (may_replay) {
        allow_pool = false;  // a pooled connection died under us: once more on a fresh one
        same_target = true;
        continue;
      }
      x.outcome = TargetOutcome::failed;
      report_target_outcome(group, target, x.outcome, 0, -1, core::now_us());
      x.failure = ConnectFailure::refused;
      x.target_saw_request = false;
      if (may_retry(x, AttemptFailure::not_sent)) continue;  // nothing was answered: another target
      co_return co_await respond(502, true, &x);
    }
    if (!x.replay_started) in_.consume(buffered);
    if (!x.body_done && !x.replay_started && x.replayable) {
      // The body streams from here: keep what was sent so far while it may still be replayed.
      x.replay_started = true;
      const uint64_t known_size = x.framing == BodyFraming::content_length ? buffered + x.length_body.remaining() : buffered;
      if (known_size <= group.config->retry_body_limit) {
        x.replay.assign(in_.data + body_begin, in_.data + body_begin + buffered);
      } else {
        x.replayable = false;
      }
    }
    if (x.expect_continue && !x.continue_sent && !x.body_done && round == 0) {
      // The target is connected and has the head: the client may send its body now. (Expect is
      // not forwarded; answering it here keeps the body streaming in one direction at a time.)
      constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      x.bytes_out += kContinue.size();
      if (!co_await write_client(kContinue)) {
        x.drop_target();
        co_return false;
      }
    }
    // The rest of the body, streamed as it arrives.
    const uint32_t min_rate = l.security.min_body_rate;
    const int64_t body_started_ms = min_rate != 0 ? core::now_ms() : 0;
    uint64_t body_read = 0;
    while (!x.body_done) {
      if (in_.empty()) {
        in_.begin = in_.end = 0;
        int64_t wait_ms = l.idle_timeout.count();
        bool rate_bound = false;
        if (min_rate != 0) {
          // security.min_body_rate (slow POST): after a one-second grace, the next byte is due
          // by the time the bytes so far would have taken at the minimum rate.
          const int64_t due = body_started_ms + 1000 + static_cast<int64_t>((body_read + 1) * 1000 / min_rate);
          const int64_t left = std::max<int64_t>(due - core::now_ms(), 1);
          if (left < wait_ms) {
            wait_ms = left;
            rate_bound = true;
          }
        }
        deadline_.arm(wait_ms, &client_);
        auto [read_ec, n] = co_await client_.read_some(in_.free_space(), in_.free_size());
        deadline_.disarm();
        if (read_ec) {
          x.drop_target();
          if (deadline_.expired() && rate_bound) {
            if (const security::ListenerGuard* guard = w_.any_guard(listener_index_)) {
              auto line = w_.guards->record(*guard, security::Event::body_too_slow,
                                            security::ClientAddress::from_bytes(client_family_, client_address_));
              if (line.enabled()) line.field("min_body_rate", min_rate).field("body_bytes", body_read).emit();
            }
            co_return co_await respond(408, true, &x);
          }
          // The client went away or stalled mid-body: nobody is left to answer.
          x.status = deadline_.expired() ? 408 : 499;
          co_return false;
        }
        in_.end += n;
        x.bytes_in += n;
        body_read += n;
      }
      size_t take;
      if (x.framing == BodyFraming::chunked) {
        ChunkedResult r = x.chunked.feed(in_.view());
        if (r.error()) {
          x.drop_target();
          x.desync = r.reason;
          x.tier = tier_of(r.reason);
          co_return co_await respond(r.error_status, true, &x);
        }
        take = r.consumed;
        x.body_done = r.done();
        if (l.max_body_bytes > 0 && x.chunked.payload_bytes() > l.max_body_bytes) {
          x.drop_target();
          co_return co_await respond(413, true, &x);
        }
      } else {
        take = x.length_body.feed(in_.size());
        x.body_done = x.length_body.done();
      }
      deadline_.arm(l.idle_timeout.count(), &x.target);
      const asio::error_code body_ec = co_await x.target.write(std::string_view(in_.data + in_.begin, take));
      deadline_.disarm();
      // What was decoded is part of the body now, sent or not: kept for a replay, or the body
      // can no longer be replayed once it outgrows retry_body_limit.
      if (x.replayable && x.replay_started) {
        if (x.replay.size() + take <= group.config->retry_body_limit) {
          x.replay.insert(x.replay.end(), in_.data + in_.begin, in_.data + in_.begin + take);
        } else {
          x.replayable = false;
          std::vector<char>().swap(x.replay);
        }
      }
      in_.consume(take);
      if (body_ec) {
        x.drop_target();
        x.outcome = TargetOutcome::failed;
        report_target_outcome(group, target, x.outcome, 0, -1, core::now_us());
        x.failure = ConnectFailure::refused;
        x.target_saw_request = false;
        if (may_retry(x, AttemptFailure::not_sent)) break;  // the write failed: another target
        co_return co_await respond(502, true, &x);
      }
    }
    if (x.target_index >= 0 && !x.target.is_open()) continue;  // a body write failed: retry
    sent_us = core::now_us();

    // The response head (after any interim 1xx).
    tin.ensure(w_.buffers);
    tin.begin = tin.end = 0;
    response_parser.reset();
    bool retry = false;
    bool retry_elsewhere = false;
    for (;;) {
      head_result = tin.empty() ? ParseResult::more() : response_parser.parse(tin.view(), response, x.method_id);
      if (head_result.complete()) {
        if (!response.interim()) break;
        // 100 Continue / 103 Early Hints: passed on (not to HTTP/1.0 clients), then the real one.
        if (!x.client_http10) {
          char storage[4096];
          HeadWriter out(storage, sizeof storage);
          write_response_head(out, response, ResponseForwarding{});
          if (!out.overflowed()) {
            x.bytes_out += out.size();
            if (!co_await write_client(out.view())) {
              x.drop_target();
              co_return false;
            }
          }
        }
        tin.consume(head_result.head_size);
        continue;
      }
      if (head_result.error()) {
        x.outcome = TargetOutcome::bad_response;
        report_target_outcome(group, target, x.outcome, 0, core::now_us() - sent_us, core::now_us());
        x.drop_target();
        core::LogLine(core::LogLevel::warn, "http.bad_response")
            .field("listener", l.name)
            .field("target", target.address_text)
            .field("reason", to_string(head_result.reason))
            .emit();
        co_return co_await respond(502, x.close_after || !x.client_keep_alive, &x);
      }
      if (tin.full()) {
        if (tin.begin > 0) {
          tin.compact();
        } else if (tin.capacity < l.max_header_bytes + 1024u) {
          tin.grow(l.max_header_bytes + 1024u);
        }
      }
      deadline_.arm(l.response_timeout.count(), &x.target);
      auto [read_ec, n] = co_await x.target.read_some(tin.free_space(), tin.free_size());
      deadline_.disarm();
      if (read_ec) {
        const bool nothing_yet = x.first_byte_us < 0;
        x.drop_target();
        if (deadline_.expired()) {
          x.outcome = TargetOutcome::timed_out;
          report_target_outcome(group, target, x.outcome, 0, core::now_us() - sent_us, core::now_us());
          x.failure = ConnectFailure::timeout;
          x.target_saw_request = true;
          if (nothing_yet && may_retry(x, AttemptFailure::timed_out)) {
            retry_elsewhere = true;  // retry_on_timeout: another target, the client unaware
            break;
          }
          co_return co_await respond(504, true, &x);
        }
        if (nothing_yet && may_replay) {
          retry = true;  // the target closed an idle connection just as we reused it
          break;
        }
        x.outcome = TargetOutcome::failed;
        report_target_outcome(group, target, x.outcome, 0, core::now_us() - sent_us, core::now_us());
        x.failure = ConnectFailure::refused;
        x.target_saw_request = true;
        if (nothing_yet && may_retry(x, AttemptFailure::no_response)) {
          // The target dropped the request unanswered: another target (the failed one stays in
          // the avoid list), the client unaware.
          retry_elsewhere = true;
          break;
        }
        co_return co_await respond(502, true, &x);
      }
      if (x.first_byte_us < 0) x.first_byte_us = core::now_us() - sent_us;
      tin.end += n;
    }
    if (retry) {
      allow_pool = false;
      same_target = true;
      continue;
    }
    if (retry_elsewhere) {
      x.first_byte_us = -1;
      continue;
    }
    break;
  }

  const auto& target = group.targets[static_cast<size_t>(x.target_index)];
  x.status = response.status;
  x.outcome = TargetOutcome::response;
  report_target_outcome(group, target, x.outcome, response.status, x.first_byte_us, core::now_us());
  if (response.tunnel || (response.upgrade && !x.upgrade)) {
    // A tunnel nobody asked for is a protocol error of the target.
    x.drop_target();
    co_return co_await respond(502, true, &x);
  }
  if (response.upgrade) {
    ResponseForwarding upgrade;
    upgrade.keep_upgrade = true;
    HeadWriter out(x.out_lease.data(), core::BufferPool::kBufferSize);
    write_response_head(out, response, upgrade);
    tin.consume(head_result.head_size);
    if (out.overflowed()) {
      x.drop_target();
      co_return co_await respond(502, true, &x);
    }
    co_await tunnel(x, tin, out.view());
    co_return false;
  }

  // The response head toward the client, rewritten while the parsed views are valid.
  const bool dechunk = x.client_http10 && response.framing == BodyFraming::chunked;
  bool close_client = x.close_after || !x.client_keep_alive || response.framing == BodyFraming::until_close;
  ResponseForwarding forwarding;
  forwarding.close = close_client;
  forwarding.http10_client = x.client_http10;
  forwarding.dechunk = dechunk;
  char cookie[256];
  forwarding.set_cookie = sticky_set_cookie(x, response, cookie);
  HeadWriter out(x.out_lease.data(), core::BufferPool::kBufferSize);
  write_response_head(out, response, forwarding);
  if (out.overflowed()) {
    x.out_large.resize(head_result.head_size + 4096);
    out = HeadWriter(x.out_large.data(), x.out_large.size());
    write_response_head(out, response, forwarding);
  }
  tin.consume(head_result.head_size);
  x.bytes_out += out.size();

  // The body: what came with the head goes out in the same write as the head.
  const BodyFraming framing = response.framing;
  ContentLengthBody length_body(response.content_length);
  ChunkedDecoder chunked;
  bool done = framing == BodyFraming::none || (framing == BodyFraming::content_length && response.content_length == 0);
  bool target_ok = true;
  std::string_view head_view = out.view();
  for (;;) {
    size_t take = 0;
    std::string_view payload;
    if (!done && !tin.empty()) {
      if (framing == BodyFraming::chunked) {
        ChunkedResult r = dechunk ? chunked.next(tin.view()) : chunked.feed(tin.view());
        if (r.error()) {
          target_ok = false;
          break;
        }
        take = r.consumed;
        payload = dechunk ? r.payload : std::string_view(tin.data + tin.begin, take);
        done = r.done();
      } else if (framing == BodyFraming::content_length) {
        take = length_body.feed(tin.size());
        payload = std::string_view(tin.data + tin.begin, take);
        done = length_body.done();
      } else {  // until_close
        take = tin.size();
        payload = tin.view();
      }
    }
    if (!head_view.empty() || !payload.empty()) {
      if (!co_await write_client(head_view, payload)) {
        x.drop_target();
        co_return false;
      }
      x.bytes_out += payload.size();
      head_view = {};
    }
    tin.consume(take);
    if (done) break;
    if (!tin.empty()) continue;  // dechunking: more runs in the buffer
    deadline_.arm(l.response_timeout.count(), &x.target);
    auto [read_ec, n] = co_await x.target.read_some(tin.free_space(), tin.free_size());
    deadline_.disarm();
    if (read_ec) {
      if (framing == BodyFraming::until_close && read_ec == asio::error::eof) break;
      target_ok = false;
      break;
    }
    tin.end += n;
  }
  if (!target_ok) {
    // The body broke off: the client can only learn it from the connection closing early.
    x.outcome = TargetOutcome::failed;
    report_target_outcome(group, target, x.outcome, response.status, -1, core::now_us());
    x.drop_target();
    client_.close();
    co_return false;
  }
  // The target connection goes back to the pool when both sides agree and nothing is left over.
  const bool reusable = response.keep_alive && framing != BodyFraming::until_close && !x.close_after &&
                        tin.empty() && x.body_done && group.config->keepalive_connections > 0;
  x.in_flight.release();
  if (reusable) {
    x.registered.reset();
    w_.pool.give_back(target.counters.get(), target.address, std::move(x.target),
                      group.config->keepalive_connections,
                      group.config->keepalive_timeout.count(), core::now_ms());
    w_.deadlines.wake();  // the pool's idle sweep runs on ticks
  } else {
    x.drop_target();
  }
  if (close_client) {
    if (in_.empty()) {
      // The client's request was read whole and nothing follows: close at once (lingering is
      // for refusals, where unread bytes could turn the close into a reset).
      end_client();
    } else {
      co_await linger_close();
    }
    co_return false;
  }
  co_return true;
}

namespace {
// Copies one direction of a tunnel until EOF or error, then passes the EOF on.
asio::awaitable<void> pump(ByteStream& from, ByteStream& to, RecvBuffer& buffer, Deadline& deadline, int64_t idle_ms,
                           uint64_t& total) {
  for (;;) {
    buffer.begin = buffer.end = 0;
    deadline.arm(idle_ms, &from, &to);
    auto [read_ec, n] = co_await from.read_some(buffer.data, buffer.capacity);
    if (read_ec) break;
    if (co_await to.write(std::string_view(buffer.data, n))) break;
    total += n;
  }
  deadline.disarm();
  to.shutdown_send();
}
}  // namespace

// After 101 Switching Protocols: the connection is the application's (WebSocket). Bytes that
// came behind the heads go first, then both directions are copied until both have ended.
asio::awaitable<void> ProxySession::tunnel(Exchange& x, RecvBuffer& tin, std::string_view head) {
  using namespace asio::experimental::awaitable_operators;
  const auto& l = listener();
  if (!co_await write_client(head, tin.view())) {
    x.drop_target();
    co_return;
  }
  x.bytes_out += head.size() + tin.size();
  if (!in_.empty()) {
    const asio::error_code ec = co_await x.target.write(in_.view());
    if (ec) {
      x.drop_target();
      co_return;
    }
  }
  in_.ensure(w_.buffers);
  tin.ensure(w_.buffers);
  Deadline back(w_.deadlines);
  uint64_t up = 0, down = 0;
  // A tunnel can outlive any request: when the target's deregistration delay ends, both sides
  // are shut down (a plain request only loses its target side, and the client hears 502).
  const auto& tunnelled = snapshot_->groups[static_cast<size_t>(x.group_index)].targets[static_cast<size_t>(x.target_index)];
  x.registered.reset();
  x.registered.emplace(w_.upstreams.sessions(), tunnelled.outcomes.get(), client_.native_handle(),
                       x.target.native_handle());
  co_await (pump(client_, x.target, in_, deadline_, l.idle_timeout.count(), up) &&
            pump(x.target, client_, tin, back, l.idle_timeout.count(), down));
  in_.begin = in_.end = 0;
  x.bytes_in += up;
  x.bytes_out += down;
  x.drop_target();
  client_.close();
}

// Stickiness, when the chosen group has it: a valid cookie naming an eligible target sends the
// request there; a missing, tampered or expired cookie, or one naming a target that is gone,
// unhealthy or draining, leaves the choice to the picker and (for lb_cookie) issues a new one.
void ProxySession::find_sticky_target(Exchange& x, const RequestHead& head) {
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const auto& stickiness = group.config->stickiness;
  if (stickiness.type == config::StickinessType::none) return;
  const auto& signer = w_.sticky[static_cast<size_t>(x.group_index)];
  std::string_view value;
  for (const Header& h : head.headers()) {
    if (h.id == HeaderId::cookie) value = find_cookie(h.value, stickiness.lb_cookie_name);
    if (!value.empty()) break;
  }
  x.issue_cookie = stickiness.type == config::StickinessType::lb_cookie;
  if (value.empty() || !signer) return;
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  auto key = signer->verify(group.name(), value, now_unix);
  if (!key) return;
  const auto& set = group.pickers->targets();
  for (uint32_t index : set.eligible) {
    if (set.targets[index].key == *key) {
      x.sticky_target = static_cast<int>(index);
      x.issue_cookie = false;
      return;
    }
  }
  x.issue_cookie = true;  // the named target is not eligible now: fail over and say so
}

std::string_view ProxySession::sticky_set_cookie(Exchange& x, const ResponseHead& response, char (&out)[256]) {
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  const auto& stickiness = group.config->stickiness;
  const auto& signer = w_.sticky[static_cast<size_t>(x.group_index)];
  if (stickiness.type == config::StickinessType::none || !signer || x.target_index < 0) return {};
  bool issue = x.issue_cookie;
  if (stickiness.type == config::StickinessType::app_cookie && !issue) {
    // app_cookie: affinity starts when the application starts its session.
    for (const Header& h : response.headers()) {
      if (h.id == HeaderId::set_cookie && h.value.size() > stickiness.cookie.size() &&
          h.value.substr(0, stickiness.cookie.size()) == stickiness.cookie && h.value[stickiness.cookie.size()] == '=') {
        issue = true;
        break;
      }
    }
  }
  if (!issue) return {};
  const int64_t seconds = std::max<int64_t>(1, stickiness.duration.count() / 1000);
  const int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  const uint64_t key = group.pickers->targets().targets[static_cast<size_t>(x.target_index)].key;
  HeadWriter cookie(out, sizeof out);
  cookie.append(stickiness.lb_cookie_name);
  cookie.append("=");
  char value[StickyCookie::kMaxValue];
  cookie.append(std::string_view(value, signer->issue(group.name(), key, now_unix + seconds, value)));
  cookie.append("; Max-Age=");
  cookie.append_decimal(static_cast<uint64_t>(seconds));
  cookie.append("; Path=/; HttpOnly");
  return cookie.overflowed() ? std::string_view{} : cookie.view();
}

// Counts the request for /metrics: the listener's and, when one answered, the target's slot
// of this worker (plain adds, no lock).
void ProxySession::record_stats(const Exchange& x) {
  const int64_t duration_us = core::now_us() - x.started_us;
  const size_t status_class = upstream::status_class(x.status);
  if (auto* stats = listener_stats()) {
    auto& slot = stats->local();
    slot.responses[status_class].add();
    slot.bytes_in.add(x.bytes_in);
    slot.bytes_out.add(x.bytes_out);
    slot.request.record(duration_us);
  }
  if (x.group_index < 0 || x.target_index < 0) return;
  const auto& target =
      snapshot_->groups[static_cast<size_t>(x.group_index)].targets[static_cast<size_t>(x.target_index)];
  if (!target.stats) return;
  auto& slot = target.stats->local();
  slot.responses[status_class].add();
  slot.bytes_in.add(x.bytes_in);
  slot.bytes_out.add(x.bytes_out);
  slot.request.record(duration_us);
  if (x.connect_us > 0 && !x.reused) slot.connect.record(x.connect_us);
  if (x.first_byte_us >= 0) slot.first_byte.record(x.first_byte_us);
}

// Every target a retried request went to, in order ("10.0.0.4:80 10.0.0.5:80"); empty for one.
std::string_view ProxySession::tried_targets(const Exchange& x, char (&out)[512]) const {
  if (x.attempts < 2 || x.group_index < 0) return {};
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  HeadWriter text(out, sizeof out);
  for (uint32_t i = 0; i < x.attempts; ++i) {
    if (i > 0) text.append(" ");
    text.append(group.targets[x.avoid[i]].address_text);
  }
  return text.overflowed() ? std::string_view("...") : text.view();
}

void ProxySession::log_request(Exchange& x) {
  record_stats(x);
  const auto& l = listener();
  char ip[INET6_ADDRSTRLEN];
  char tried[512];
  if (core::log_settings().access_format == core::AccessLogFormat::combined) {
    if (!core::access_log_enabled()) return;
    CombinedLogFields f;
    f.client = client_ip(ip);
    f.method = x.method.view();
    f.path = x.path.view();
    if (!f.method.empty()) f.version = x.client_http10 ? "HTTP/1.0" : "HTTP/1.1";
    f.status = x.status;
    f.bytes_out = x.bytes_out;
    f.referer = x.referer.view();
    f.user_agent = x.user_agent.view();
    f.host = x.host.view();
    f.bytes_in = x.bytes_in;
    f.duration_us = core::now_us() - x.started_us;
    f.connect_us = x.connect_us;
    f.first_byte_us = x.first_byte_us;
    if (x.group_index >= 0) {
      const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
      f.group = group.name();
      if (x.target_index >= 0) f.target = group.targets[static_cast<size_t>(x.target_index)].address_text;
    }
    f.attempts = x.attempts;
    f.tried = tried_targets(x, tried);
    f.rule = x.rule;
    f.desync_tier = to_string(x.tier);
    if (x.request_id[0] != '-') f.request_id = std::string_view(x.request_id, sizeof x.request_id);
    std::string& line = core::access_line_buffer();
    format_combined_line(line, f, std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());
    core::write_access_line(line);
    return;
  }
  core::LogLine line = core::LogLine::access("http.request");
  line.field("listener", l.name)
      .field("client", client_ip(ip))
      .field("method", x.method.view())
      .field("host", x.host.view())
      .field("path", x.path.view())
      .field("status", static_cast<uint64_t>(x.status))
      .field("request_id", std::string_view(x.request_id, sizeof x.request_id));
  if (!x.rule.empty()) line.field("rule", x.rule);
  if (x.group_index >= 0) {
    const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
    line.field("group", group.name());
    if (x.target_index >= 0) {
      line.field("target", group.targets[static_cast<size_t>(x.target_index)].address_text);
      line.field("reused", x.reused);
    }
    line.field("attempts", static_cast<uint64_t>(x.attempts));
    if (x.attempts > 1) line.field("tried", tried_targets(x, tried));
  }
  line.field("bytes_in", x.bytes_in)
      .field("bytes_out", x.bytes_out)
      .field("duration_ms", static_cast<double>(core::now_us() - x.started_us) / 1000.0);
  if (x.connect_us >= 0) line.field("connect_ms", static_cast<double>(x.connect_us) / 1000.0);
  if (x.first_byte_us >= 0) line.field("first_byte_ms", static_cast<double>(x.first_byte_us) / 1000.0);
  if (x.tier != DesyncTier::compliant) line.field("desync", to_string(x.desync)).field("desync_tier", to_string(x.tier));
  line.emit();
}

void format_request_id(HttpWorker& w, char (&out)[32]) {
  static const char* digits = "0123456789abcdef";
  uint64_t parts[2] = {w.request_id_prefix, ++w.request_id_counter};
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 16; ++i) out[p * 16 + i] = digits[(parts[p] >> (60 - 4 * i)) & 15];
  }
}

// Counts and logs the rules that fired (the log within the security budget).
void ProxySession::record_waf(const Exchange& x, const security::WafVerdict& verdict, std::string_view part) {
  const security::ListenerGuard* guard = w_.any_guard(listener_index_);
  if (guard == nullptr) return;
  const auto client = security::ClientAddress::from_bytes(client_family_, client_address_);
  for (const security::WafRule* rule : {verdict.log, verdict.block}) {
    if (rule == nullptr) continue;
    auto line = w_.guards->record(*guard, rule->block ? security::Event::waf_blocked : security::Event::waf_logged,
                                  client);
    if (line.enabled()) {
      line.field("rule", rule->id).field("message", rule->message).field("method", x.method.view())
          .field("path", x.path.view()).field("part", part)
          .field("request_id", std::string_view(x.request_id, sizeof x.request_id)).emit();
    }
  }
}

// The body's pattern rules (security.waf targets: body). Like ModSecurity's request body
// access and AWS WAF's body inspection, the first waf_body_bytes of the body (de-chunked)
// are read and searched before any of it goes to a target; the rest then streams
// uninspected. Reading them is bounded: within client_header_timeout, and at most
// 4 x waf_body_bytes + 16 KiB of raw (chunked) bytes in the connection's buffer. A request
// whose rules block is answered 403 here (and the connection closed when its body is not
// all read).
asio::awaitable<std::optional<bool>> ProxySession::inspect_body(Exchange& x, security::WafRules& waf) {
  const auto& l = listener();
  const size_t wanted = waf.body_bytes();
  const size_t raw_cap = wanted * 4 + 16 * 1024;
  auto payload = [&]() -> uint64_t {
    return x.framing == BodyFraming::chunked ? x.chunked.payload_bytes() : x.buffered_body;
  };
  if (!x.body_done && payload() < wanted) {
    if (x.expect_continue) {
      // The client waits for this before it sends a body we need to see.
      constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      x.bytes_out += kContinue.size();
      if (!co_await write_client(kContinue)) co_return false;
      x.continue_sent = true;
    }
    deadline_.arm(l.client_header_timeout.count(), &client_);
    while (!x.body_done && payload() < wanted) {
      if (in_.full()) {
        if (in_.begin > 0) {
          in_.compact();
        } else if (in_.capacity < raw_cap) {
          in_.grow(std::min(raw_cap, in_.capacity * 2));
        } else {
          break;  // framing bytes filled the cap: inspect the payload that came with them
        }
      }
      auto [ec, n] = co_await client_.read_some(in_.free_space(), in_.free_size());
      if (ec) {
        deadline_.disarm();
        if (deadline_.expired()) {
          co_await respond(408, true, &x);
        } else {
          x.status = 499;  // the client went away mid-body: nobody is left to answer
        }
        co_return false;
      }
      in_.end += n;
      x.bytes_in += n;
      const std::string_view fresh = in_.view().substr(x.buffered_body);
      if (x.framing == BodyFraming::chunked) {
        ChunkedResult r = x.chunked.feed(fresh);
        if (r.error()) {
          deadline_.disarm();
          x.desync = r.reason;
          x.tier = tier_of(r.reason);
          co_await respond(r.error_status, true, &x);
          co_return false;
        }
        x.buffered_body += r.consumed;
        x.body_done = r.done();
        if (l.max_body_bytes > 0 && x.chunked.payload_bytes() > l.max_body_bytes) {
          deadline_.disarm();
          co_await respond(413, true, &x);
          co_return false;
        }
      } else {
        x.buffered_body += x.length_body.feed(fresh.size());
        x.body_done = x.length_body.done();
      }
    }
    deadline_.disarm();
  }

  std::string_view body = in_.view().substr(0, x.buffered_body);
  if (x.framing == BodyFraming::chunked) {
    // The rules search the payload, not the chunk framing (tiny chunks would split a pattern).
    std::string& text = w_.waf_body;
    text.clear();
    ChunkedDecoder decoder;
    while (!body.empty() && text.size() < wanted) {
      ChunkedResult r = decoder.next(body);
      text.append(r.payload.substr(0, wanted - text.size()));
      if (r.consumed == 0 || r.error() || r.done()) break;
      body.remove_prefix(r.consumed);
    }
    body = text;
  }
  security::WafVerdict verdict;
  waf.inspect_body(body, verdict);
  if (!verdict.matched()) co_return std::nullopt;
  record_waf(x, verdict, "body");
  if (verdict.block == nullptr) co_return std::nullopt;
  in_.consume(x.buffered_body);
  const bool close = !x.body_done || x.close_after || !x.client_keep_alive;
  // Kept open only when the whole body was read: the next request can follow.
  co_return co_await respond(403, close, &x);
}

asio::awaitable<bool> ProxySession::serve_one(bool first) {
  const auto& l = listener();
  Exchange x(w_.loop(), w_.upstreams.snapshot());
  x.started_us = core::now_us();
  std::memset(x.request_id, '-', sizeof x.request_id);
  in_.ensure(w_.buffers);
  x.bytes_in = carried_in_;
  carried_in_ = 0;

  // The head, within client_header_timeout.
  RequestHead head(std::span<Header>(w_.header_scratch));
  RequestParser parser(limits_of(l));
  ParseResult parsed;
  const size_t head_limit = static_cast<size_t>(l.max_header_bytes) + 1024;
  deadline_.arm(l.client_header_timeout.count(), &client_);
  for (;;) {
    parsed = in_.empty() ? ParseResult::more() : parser.parse(in_.view(), head);
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
      if (timed_out && !in_.empty()) {
        x.status = 408;
        co_await respond(408, true, &x);
        log_request(x);
      }
      in_.begin = in_.end = 0;
      co_return false;  // a client closing or idling between requests is no error
    }
    in_.end += n;
    x.bytes_in += n;
  }
  deadline_.disarm();
  awaiting_.leave();
  (void)first;
  format_request_id(w_, x.request_id);
  w_.total_requests.fetch_add(1, std::memory_order_relaxed);

  if (parsed.error()) {
    const Classification c = classify_parse_error(parsed);
    x.desync = c.reason;
    x.tier = c.tier;
    co_await respond(c.status, true, &x);
    log_request(x);
    co_return false;
  }
  // Facts for the log and the rest of the exchange, copied while the views are valid.
  x.method.assign(head.method);
  x.host.assign(head.host());
  x.path.assign(head.target);
  if (core::log_settings().access_format == core::AccessLogFormat::combined) {
    for (const Header& h : head.headers()) {
      if (h.id != HeaderId::other) continue;
      if (equals_lower(h.name, "referer")) x.referer.assign(h.value);
      else if (equals_lower(h.name, "user-agent")) x.user_agent.assign(h.value);
    }
  }
  x.method_id = head.method_id;
  x.client_http10 = head.version_major == 1 && head.version_minor == 0;
  x.client_keep_alive = head.keep_alive && !w_.draining;
  x.framing = head.framing;
  x.idempotent = head.method_id == Method::get || head.method_id == Method::head || head.method_id == Method::put ||
                 head.method_id == Method::delete_ || head.method_id == Method::options ||
                 head.method_id == Method::trace;
  x.expect_continue = head.expectation == Expectation::continue_100 && !x.client_http10;
  x.upgrade = head.upgrade && !head.is_connect();

  const Classification c = classify_request(head);
  x.desync = c.reason;
  x.tier = c.tier;
  const DesyncAction action = desync_action(c, l.desync_mode);
  if (action == DesyncAction::reject) {
    co_await respond(c.status, true, &x);
    log_request(x);
    co_return false;
  }
  x.close_after = action == DesyncAction::forward_then_close;
  if (head.expectation == Expectation::unsupported) {
    co_await respond(417, true, &x);
    log_request(x);
    co_return false;
  }
  if (l.max_body_bytes > 0 && head.framing == BodyFraming::content_length && head.content_length > l.max_body_bytes) {
    co_await respond(413, true, &x);
    log_request(x);
    co_return false;
  }

  // The body bytes that came with the head are checked before anything goes to a target, so a
  // malformed chunked body behind a valid head is refused with nothing forwarded.
  const std::string_view after_head = in_.view().substr(parsed.head_size);
  if (head.framing == BodyFraming::chunked) {
    ChunkedResult r = x.chunked.feed(after_head);
    if (r.error()) {
      x.desync = r.reason;
      x.tier = tier_of(r.reason);
      co_await respond(r.error_status, true, &x);
      log_request(x);
      co_return false;
    }
    x.buffered_body = r.consumed;
    x.body_done = r.done();
    if (l.max_body_bytes > 0 && x.chunked.payload_bytes() > l.max_body_bytes) {
      co_await respond(413, true, &x);
      log_request(x);
      co_return false;
    }
  } else if (head.framing == BodyFraming::content_length) {
    x.length_body = ContentLengthBody(head.content_length);
    x.buffered_body = x.length_body.feed(after_head.size());
    x.body_done = x.length_body.done();
  }
  x.replayable = true;  // in the buffer, or kept as it streams (forward) while within retry_body_limit

  // A reload may have installed a newer snapshot while the head arrived. The worker's routes
  // already name that snapshot's groups, and connect() refuses to pick from a snapshot that is
  // no longer current (502): serve the request from the current one. The one the session
  // started with stays alive until this request ends (`l` and the head refer into it).
  std::shared_ptr<const upstream::Snapshot> head_snapshot;
  if (w_.upstreams.snapshot() != x.snapshot) {
    head_snapshot = std::move(x.snapshot);
    x.snapshot = w_.upstreams.snapshot();
    snapshot_ = x.snapshot.get();
  }

  // Per-client request rate (security.rate_limit): 429 with the wait before the next token.
  if (ticket_.held()) {
    const security::ListenerGuard* guard = w_.guard(listener_index_);
    uint32_t retry_after_s = 0;
    if (guard != nullptr &&
        !w_.guards->admit_request(*guard, security::ClientAddress::from_bytes(client_family_, client_address_), ticket_,
                                  retry_after_s)) {
      char retry_after[40];
      const int n = std::snprintf(retry_after, sizeof retry_after, "Retry-After: %u\r\n", retry_after_s);
      in_.consume(parsed.head_size + x.buffered_body);
      const bool close = !x.body_done || x.close_after || !x.client_keep_alive;
      const bool keep = co_await respond(429, close, &x, std::string_view(retry_after, static_cast<size_t>(n)));
      log_request(x);
      co_return keep;
    }
  }

  // Pattern rules (security.waf): 403 naming the rule that fired; log-only rules just log.
  if (security::WafRules* waf = w_.waf_for(listener_index_)) {
    security::WafVerdict verdict;
    std::string_view path;
    std::string_view query;
    split_target(head.target, path, query);
    waf->inspect_path(path, verdict);
    waf->inspect_query(query, verdict);
    for (const Header& h : head.headers()) waf->inspect_header(h.name, h.value, verdict);
    // The body is inspected before it is forwarded (inspect_body(), once it has arrived).
    if (verdict.matched()) record_waf(x, verdict, "head");
    if (verdict.block != nullptr) {
      in_.consume(parsed.head_size + x.buffered_body);
      const bool close = !x.body_done || x.close_after || !x.client_keep_alive;
      const bool keep = co_await respond(403, close, &x);
      log_request(x);
      co_return keep;
    }
  }

  // Route: the first rule whose conditions all hold, else the default action.
  RequestFacts facts;
  facts.method = head.method;
  facts.host = host_without_port(head.host());
  split_target(head.target, facts.path, facts.query);
  facts.headers = head.headers();
  facts.family = client_family_;
  facts.address = client_address_;
  RouteTarget& route = w_.routes[listener_index_].route(facts);
  x.rule = route.rule_name;
  const config::Action& chosen = *route.action;
  if (chosen.kind != config::Action::Kind::forward) {
    // Answered here; a body we did not read means the connection cannot continue.
    const bool close = !x.body_done || x.close_after || !x.client_keep_alive;
    bool keep;
    if (chosen.kind == config::Action::Kind::redirect) {
      RedirectRequest request{client_.secure() ? "https" : "http", facts.host, l.listen.port(), facts.path, facts.query};
      if (const std::string_view full_host = head.host(); full_host.size() > facts.host.size() + 1) {
        // The port the client used (Host: name:port) is the request's port.
        const auto port_text = full_host.substr(facts.host.size() + 1);
        uint32_t port = 0;
        for (char c : port_text) port = c >= '0' && c <= '9' ? port * 10 + static_cast<uint32_t>(c - '0') : 1u << 20;
        if (port > 0 && port < 65536) request.port = static_cast<uint16_t>(port);
      }
      const std::string location = "Location: " + redirect_location(chosen.redirect, request) + "\r\n";
      in_.consume(parsed.head_size + x.buffered_body);
      keep = co_await respond(static_cast<uint16_t>(chosen.redirect.status), close, &x, location);
    } else {
      in_.consume(parsed.head_size + x.buffered_body);
      const auto& fixed = chosen.fixed_response;
      keep = co_await respond(static_cast<uint16_t>(fixed.status), close, &x, {}, fixed.content_type, fixed.body,
                              false);
    }
    log_request(x);
    co_return keep;
  }
  x.group_index = route.split.next();
  if (x.group_index < 0) {
    in_.consume(parsed.head_size + x.buffered_body);
    const bool keep = co_await respond(503, !x.body_done || !x.client_keep_alive, &x);
    log_request(x);
    co_return keep;
  }

  find_sticky_target(x, head);
  const HeadPickKeys pick_keys(head);
  x.pick_hash = upstream::pick_hash(
      snapshot_->groups[static_cast<size_t>(x.group_index)].key_source,
      {.client = upstream::ClientAddress::from_bytes(client_family_, client_address_), .request = &pick_keys});

  // The head toward the target, rewritten now while the parsed views are valid.
  RequestForwarding forwarding;
  char ip[INET6_ADDRSTRLEN];
  forwarding.client_ip = client_ip(ip);
  forwarding.listen_port = l.listen.port();
  if (client_.secure()) forwarding.proto = "https";
  forwarding.request_id = std::string_view(x.request_id, sizeof x.request_id);
  forwarding.close = x.close_after || snapshot_->groups[static_cast<size_t>(x.group_index)].config->keepalive_connections == 0;
  forwarding.add_forwarded = l.add_forwarded;
  forwarding.add_via = l.add_via;
  forwarding.keep_upgrade = x.upgrade;
  forwarding.drop_expect = x.expect_continue;
  std::string local_host;
  if (head.host_index < 0) forwarding.host_when_missing = local_host = local_authority();
  x.out_lease = w_.buffers.borrow();
  HeadWriter out(x.out_lease.data(), core::BufferPool::kBufferSize);
  write_request_head(out, head, forwarding);
  if (out.overflowed()) {
    x.out_large.resize(parsed.head_size + 4096);
    out = HeadWriter(x.out_large.data(), x.out_large.size());
    write_request_head(out, head, forwarding);
  }
  x.out_head = out.view();
  in_.consume(parsed.head_size);

  // Pattern rules over the body: its first waf_body_bytes are read before anything is sent.
  if (security::WafRules* waf = w_.waf_for(listener_index_); waf != nullptr && waf->inspects_body()) {
    if (const std::optional<bool> answered = co_await inspect_body(x, *waf)) {
      log_request(x);
      co_return *answered;
    }
  }

  const bool keep = co_await forward(x);
  log_request(x);
  co_return keep;
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
