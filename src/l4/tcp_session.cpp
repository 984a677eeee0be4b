#include "l4/tcp_session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio/post.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/would_block.hpp"
#include "l4/client_hello.hpp"
#include "l4/proxy_protocol.hpp"
#include "l4/target_connector.hpp"
#include "l4/tcp_relay.hpp"
#include "l4/target_tls.hpp"
#include "upstream/passive_report.hpp"
#include "upstream/pick_request.hpp"

namespace fulcrum::l4 {
namespace {

constexpr size_t kMaxAttempts = 16;
// Bytes a direction may read per turn before the worker's other connections get theirs.
constexpr size_t kTurnBudget = 256 * 1024;
constexpr unsigned kClientTag = 0;

bool is_wildcard(const core::Endpoint& endpoint) {
  if (endpoint.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&endpoint.storage)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&endpoint.storage)->sin6_addr);
}

// Errors after which another target would not help: this process is out of something.
bool is_local_exhaustion(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

// Closes with a reset (SO_LINGER 0): the peer learns of an abort as an abort, not as an
// orderly FIN that would look like success.
void close_with_reset(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

class TcpSession final : public core::ReadinessLoop::Handler,
                         public core::DeadlineSweep::Owner,
                         public LiveSessions::Member {
 public:
  TcpSession(WorkerContext& context, size_t listener_index, int client_fd, const core::Endpoint& peer,
             security::ClientTicket ticket)
      : context_(context),
        snapshot_(context.upstreams.snapshot()),  // kept for the session's life: a reload
                                                   // does not pull it from under us
        listener_(snapshot_->config->listeners[listener_index]),
        listener_index_(listener_index),
        client_address_(peer),
        ticket_(std::move(ticket)),
        destination_address_(listener_.listen),
        started_us_(core::now_us()) {
    client_.fd = client_fd;
    context_.active_sessions.fetch_add(1, std::memory_order_relaxed);
    context_.total_sessions.fetch_add(1, std::memory_order_relaxed);
    context_.live_sessions.add(*this);
    if (auto* stats = listener_stats()) stats->local().connections_opened.add();
  }

  // The listener's counters (metrics), the same object in every snapshot.
  upstream::TrafficStats* listener_stats() const {
    return listener_index_ < snapshot_->listener_stats.size() ? snapshot_->listener_stats[listener_index_].get()
                                                              : nullptr;
  }

  ~TcpSession() override {
    if (client_.fd >= 0) ::close(client_.fd);
    if (target_.fd >= 0) ::close(target_.fd);
  }

  void start() {
    if (int error = context_.readiness.watch(client_.fd, this, kClientTag); error != 0) {
      end_quietly();
      return;
    }
    if (listener_.accept_proxy_protocol) {
      phase_ = Phase::proxy_header;
      deadline_.arm(context_.connect_deadlines, core::now_ms() + listener_.client_header_timeout.count());
      client_.readable = true;  // the header may be there already: try before waiting
      read_proxy_header();
      return;
    }
    after_preamble();
  }

  void on_ready(uint32_t events, unsigned tag) override {
    if (phase_ == Phase::finished) return;  // retired; events of the same batch are dropped
    SocketReadiness* side = &client_;
    if (tag != kClientTag) {
      if (tag != target_tag_) return;  // from a target socket of an earlier attempt
      side = &target_;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) side->readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) side->peer_closing = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) side->writable = true;
    switch (phase_) {
      case Phase::proxy_header:
        if (side == &client_) read_proxy_header();
        break;
      case Phase::client_hello:
        if (side == &client_) read_client_hello();
        break;
      case Phase::connecting:
        if (side == &target_ && target_.writable) check_connect();
        break;
      case Phase::target_handshake:
        if (side == &target_) continue_target_handshake();
        break;
      case Phase::relaying:
        advance();
        break;
      case Phase::finished:
        break;
    }
  }

  void on_deadline() override {
    switch (phase_) {
      case Phase::proxy_header:
        reject_proxy_header("no PROXY header within " + std::to_string(listener_.client_header_timeout.count()) + "ms");
        break;
      case Phase::client_hello:
        reject_client_hello("no complete ClientHello within " +
                            std::to_string(listener_.client_header_timeout.count()) + "ms");
        break;
      case Phase::connecting:
        connect_failed(ETIMEDOUT);
        try_next_target();
        break;
      case Phase::target_handshake:
        target_tls_failed("no TLS handshake within connect_timeout (" +
                          std::to_string(group().config->connect_timeout.count()) + "ms)");
        break;
      case Phase::relaying: {
        const int64_t due = last_activity_ms_ + listener_.idle_timeout.count();
        if (core::now_ms() >= due) {
          abort("idle_timeout");
        } else {
          deadline_.arm(context_.idle_deadlines, due);
        }
        break;
      }
      case Phase::finished:
        break;
    }
  }

  void terminate() override {
    // Teardown after shutdown_timeout: the loop no longer runs, so delete at once.
    phase_ = Phase::finished;
    if (client_.fd >= 0) close_with_reset(client_.fd);
    if (target_.fd >= 0) close_with_reset(target_.fd);
    client_.fd = target_.fd = -1;
    release_everything();
    delete this;
  }

 private:
  enum class Phase { proxy_header, client_hello, connecting, target_handshake, relaying, finished };

  const upstream::GroupSnapshot& group() const { return snapshot_->groups[static_cast<size_t>(group_index_)]; }
  const upstream::TargetInfo& target_info() const { return group().targets[static_cast<size_t>(target_index_)]; }

  // ---- inbound PROXY header ------------------------------------------------------------

  void read_proxy_header() {
    // The header and whatever follows it in the same segments go into the client-to-target
    // direction's buffer: the bytes after the header are forwarded first.
    RelayDirection& up = up_;
    if (!up.buffer) up.buffer = context_.buffers.borrow();
    static_assert(core::BufferPool::kBufferSize >= kProxyHeaderMaxRead + kProxyHeaderMaxWrite);
    while (client_.readable) {
      ssize_t n = ::recv(client_.fd, up.buffer.data() + up.end, kProxyHeaderMaxRead - up.end, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && core::would_block(errno)) {
        client_.readable = false;
        return;  // wait for more
      }
      if (n <= 0) {
        reject_proxy_header(n == 0 ? "closed before sending a PROXY header" : std::strerror(errno));
        return;
      }
      up.end += static_cast<size_t>(n);
      ProxyHeader header;
      std::string error;
      switch (parse_proxy_header({up.buffer.data(), up.end}, header, error)) {
        case ProxyParse::done:
          if (!header.local && header.source) {
            client_address_ = *header.source;
            destination_address_ = *header.destination;
          }
          up.begin = header.length;
          up.bytes = up.end - up.begin;
          if (up.begin == up.end) up.begin = up.end = 0;
          deadline_.disarm();
          // The access list and per-client limits judge the announced client, not the proxy.
          if (!context_.admit_announced(listener_index_, client_address_, ticket_)) {
            linger hard{1, 0};  // a reset, as at accept: no state lingers
            ::setsockopt(client_.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
            end_quietly();
            return;
          }
          after_preamble();
          return;
        case ProxyParse::error:
          reject_proxy_header(error);
          return;
        case ProxyParse::need_more:
          if (up.end == kProxyHeaderMaxRead) {
            reject_proxy_header("PROXY header too long");
            return;
          }
          break;
      }
    }
  }

  void reject_proxy_header(const std::string& reason) {
    core::LogLine(core::LogLevel::warn, "tcp.bad_proxy_header")
        .field("listener", listener_.name)
        .field("client", client_address_.to_string())
        .field("reason", reason)
        .emit();
    end_quietly();
  }

  // ---- TLS passthrough: the ClientHello's server name picks the rule --------------------

  // After the optional PROXY header: a tls listener reads the ClientHello first.
  void after_preamble() {
    if (listener_.protocol != config::ListenerProtocol::tls) {
      choose_group();
      return;
    }
    phase_ = Phase::client_hello;
    deadline_.arm(context_.connect_deadlines, core::now_ms() + listener_.client_header_timeout.count());
    client_.readable = true;  // it may be there already: try before waiting
    read_client_hello();
  }

  void read_client_hello() {
    // The ClientHello stays in the client-to-target buffer: it is forwarded untouched, first.
    RelayDirection& up = up_;
    if (!up.buffer) up.buffer = context_.buffers.borrow();
    while (client_.readable) {
      if (up.end == core::BufferPool::kBufferSize) {
        reject_client_hello("ClientHello larger than the 16 KiB buffer");
        return;
      }
      ssize_t n = ::recv(client_.fd, up.buffer.data() + up.end, core::BufferPool::kBufferSize - up.end, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && core::would_block(errno)) {
        client_.readable = false;
        return;  // wait for the rest
      }
      if (n <= 0) {
        // Closing before saying anything is a probe, not worth a warning.
        if (n == 0 && up.end == up.begin) {
          end_quietly();
        } else {
          reject_client_hello(n == 0 ? "closed in the middle of the ClientHello" : std::strerror(errno));
        }
        return;
      }
      up.end += static_cast<size_t>(n);
      up.bytes += static_cast<size_t>(n);
      ClientHelloFacts facts;
      const char* reason = "";
      switch (parse_client_hello({up.buffer.data() + up.begin, up.end - up.begin}, facts, reason)) {
        case HelloParse::need_more:
          break;
        case HelloParse::error:
          reject_client_hello(reason);
          return;
        case HelloParse::done:
          deadline_.disarm();
          server_name_.assign(facts.server_name_view());
          route_by_server_name();
          return;
      }
    }
  }

  // The first rule with an `sni` pattern matching the name (a rule without conditions matches
  // any), else the listener's default.
  void route_by_server_name() {
    for (size_t i = 0; i < listener_.rules.size() && sni_rule_ < 0; ++i) {
      const auto& patterns = listener_.rules[i].match.sni;
      if (patterns.empty()) sni_rule_ = static_cast<int>(i);
      for (const auto& pattern : patterns) {
        if (sni_matches(pattern, server_name_)) {
          sni_rule_ = static_cast<int>(i);
          break;
        }
      }
    }
    choose_group();
  }

  void reject_client_hello(const std::string& reason) {
    core::LogLine(core::LogLevel::warn, "tls.bad_client_hello")
        .field("listener", listener_.name)
        .field("client", client_address_.to_string())
        .field("bytes", static_cast<uint64_t>(up_.end - up_.begin))
        .field("reason", reason)
        .emit();
    end_quietly();
  }

  // ---- choosing and connecting a target ---------------------------------------------------

  void choose_group() {
    if (sni_rule_ >= 0 && listener_index_ < context_.rule_splits.size() &&
        static_cast<size_t>(sni_rule_) < context_.rule_splits[listener_index_].size()) {
      group_index_ = context_.rule_splits[listener_index_][static_cast<size_t>(sni_rule_)].next();
    } else {
      group_index_ = listener_index_ < context_.listener_splits.size() ? context_.listener_splits[listener_index_].next() : -1;
    }
    if (group_index_ < 0) {
      core::LogLine(core::LogLevel::warn, "tcp.no_route")
          .field("listener", listener_.name)
          .field("client", client_address_.to_string())
          .emit();
      end_quietly();
      return;
    }
    // At layer 4 there is no request: every hash_key falls back to the client's address (the one
    // a PROXY header announced, when the listener accepts them).
    if (group().key_source.hashes()) {
      hash_ = upstream::pick_hash(group().key_source, {.client = upstream::ClientAddress::from(client_address_.address())});
    }
    phase_ = Phase::connecting;
    try_next_target();
  }

  // Picks and starts connects until one is under way or done; when none is left, gives up.
  void try_next_target() {
    const auto& group = this->group();
    const uint32_t max_attempts = std::min<uint32_t>(group.config->max_connect_attempts, kMaxAttempts);
    while (attempts_ < max_attempts) {
      // The worker may have installed a newer snapshot while we waited on a failed attempt; our
      // indexes belong to ours (WorkerUpstreams::picker_for). After a reload: give up.
      balance::Picker* picker = context_.upstreams.picker_for(*snapshot_, static_cast<size_t>(group_index_), own_picker_);
      if (picker == nullptr) break;
      balance::PickRequest request;
      request.hash = hash_;
      request.now_ms = core::now_ms();
      request.avoid = std::span<const uint32_t>(avoid_.data(), attempts_);
      auto picked = picker->pick(request);
      if (!picked) break;
      avoid_[attempts_++] = *picked;
      target_index_ = static_cast<int>(*picked);
      const auto& target = target_info();
      if (attempts_ > 1 && target.stats) target.stats->local().retries.add();
      if (core::log_enabled(core::LogLevel::debug)) log_pick();
      // Counted as active while connecting: least_connections must see connects in progress.
      target.counters->active.fetch_add(1, std::memory_order_relaxed);
      counted_on_target_ = true;

      attempt_started_us_ = core::now_us();
      ConnectStart start = start_connect(target.address);
      if (start.fd < 0) {
        connect_failed(start.error);
        if (is_local_exhaustion(start.error)) break;
        continue;
      }
      target_.fd = start.fd;
      target_.readable = target_.writable = target_.peer_closing = false;
      // A fresh tag per attempt: events still queued for an earlier attempt's socket are ignored.
      target_tag_ = target_tag_ % 7 + 1;
      if (int error = context_.readiness.watch(target_.fd, this, target_tag_); error != 0) {
        connect_failed(error);
        continue;
      }
      if (!start.in_progress) {
        connected();
        return;
      }
      deadline_.arm(context_.connect_deadlines, core::now_ms() + group.config->connect_timeout.count());
      return;  // on_ready() or on_deadline() goes on
    }
    no_target();
  }

  void check_connect() {
    int error = connect_result(target_.fd);
    if (error == 0) {
      connected();
      return;
    }
    connect_failed(error);
    try_next_target();
  }

  void connect_failed(int error) {
    attempt_failed(describe_connect_error(error),
                   is_local_exhaustion(error) ? std::nullopt
                                              : std::optional(error == ECONNREFUSED ? upstream::TrafficFailure::connect_refused
                                                              : error == ETIMEDOUT  ? upstream::TrafficFailure::connect_timeout
                                                                                    : upstream::TrafficFailure::connect_error));
  }

  // One attempt is over without a usable connection: the target's socket (and TLS) go; the
  // target is blamed unless `failure` is empty (this process ran out of something).
  void attempt_failed(const std::string& reason, std::optional<upstream::TrafficFailure> failure) {
    const auto& group = this->group();
    const auto& target = target_info();
    target_tls_.reset();
    if (target_.fd >= 0) ::close(target_.fd);
    target_.fd = -1;
    deadline_.disarm();
    stop_counting_on_target();
    if (failure) {
      if (target.stats) target.stats->local().connect_errors.add();
      upstream::report_traffic_failure(group, target, *failure);
    }
    failure_ += (failure_.empty() ? "" : "; ") + target.address_text + ": " + reason;
    core::LogLine(core::LogLevel::debug, "upstream.connect_failed")
        .field("group", group.name())
        .field("target", target.address_text)
        .field("reason", reason)
        .emit();
  }

  void log_pick() {
    std::string actives;
    // Why this target: every target's active count and response-time average at pick time.
    for (const auto& t : group().targets) {
      actives += t.address_text + "=" + std::to_string(t.counters->active.load(std::memory_order_relaxed)) + "/" +
                 std::to_string(t.counters->response_ewma_us.load(std::memory_order_relaxed)) + "us ";
    }
    core::LogLine(core::LogLevel::debug, "upstream.picked")
        .field("target", target_info().address_text)
        .field("active_and_latency", actives)
        .emit();
  }

  void no_target() {
    if (failure_.empty()) {
      failure_ = attempts_ == 0 ? "no eligible target in group " + group().name() : "all attempts failed";
    }
    core::LogLine(core::LogLevel::warn, "tcp.no_target")
        .field("listener", listener_.name)
        .field("client", client_address_.to_string())
        .field("group", group().name())
        .field("attempts", attempts_)
        .field("reason", failure_)
        .emit();
    // Close at once with a reset: the client learns now, not after a timeout, that nobody is there.
    close_with_reset(client_.fd);
    client_.fd = -1;
    end_quietly();
  }

  void connected() {
    if (group().config->protocol == config::TargetProtocol::tls && !target_tls_) {
      start_target_tls();
      return;
    }
    deadline_.disarm();
    connect_us_ = core::now_us() - attempt_started_us_;
    if (const auto& stats = target_info().stats) {
      auto& slot = stats->local();
      slot.connections_opened.add();
      slot.connect.record(connect_us_);
    }
    // Lets the control thread end this connection when the target's deregistration delay runs out.
    registered_.emplace(context_.upstreams.sessions(), target_info().outcomes.get(), client_.fd, target_.fd);
    if (!target_tls_) put_outbound_proxy_header();  // over TLS it went ahead of the handshake
    phase_ = Phase::relaying;
    relay_started_us_ = core::now_us();
    last_activity_ms_ = core::now_ms();
    deadline_.arm(context_.idle_deadlines, last_activity_ms_ + listener_.idle_timeout.count());
    // The readiness flags are current: events were recorded while connecting (the target may
    // have spoken first, the client may have sent its request).
    advance();
  }

  // Our PROXY header for this target (empty when the group sends none).
  size_t outbound_proxy_header(std::array<char, kProxyHeaderMaxWrite>& header) {
    const auto version = group().config->proxy_protocol;
    if (version == config::ProxyProtocolVersion::none) return 0;
    if (!listener_.accept_proxy_protocol && is_wildcard(destination_address_)) {
      // The address the client reached: only getsockname() knows on a wildcard listener.
      if (auto local = core::local_endpoint(client_.fd)) destination_address_ = *local;
    }
    return version == config::ProxyProtocolVersion::v1
               ? write_proxy_v1(header.data(), client_address_, destination_address_)
               : write_proxy_v2(header.data(), client_address_, destination_address_);
  }

  // Places our PROXY header in front of the client's early bytes, which the relay writes first.
  void put_outbound_proxy_header() {
    std::array<char, kProxyHeaderMaxWrite> header{};
    const size_t length = outbound_proxy_header(header);
    if (length == 0) return;
    RelayDirection& up = up_;
    if (!up.buffer) up.buffer = context_.buffers.borrow();
    if (up.begin < length) {
      // Make room in front of the early bytes (at most kProxyHeaderMaxRead of them).
      std::memmove(up.buffer.data() + length, up.buffer.data() + up.begin, up.end - up.begin);
      up.end = length + (up.end - up.begin);
      up.begin = length;
    }
    up.begin -= length;
    std::memcpy(up.buffer.data() + up.begin, header.data(), length);
  }

  // ---- TLS toward the target (`protocol: tls` groups) ------------------------------------------

  // The TCP connection is up: the PROXY header (plaintext, as HAProxy's send-proxy with ssl
  // sends it), then the handshake, within the group's connect_timeout.
  void start_target_tls() {
    const auto& contexts = context_.target_tls;
    const auto found = contexts ? contexts->find(group().name()) : tls::TargetContexts::const_iterator{};
    if (!contexts || found == contexts->end() || !found->second) {
      target_tls_failed("no TLS context for the group");
      return;
    }
    std::array<char, kProxyHeaderMaxWrite> header{};
    if (const size_t length = outbound_proxy_header(header); length > 0) {
      // A fresh connection's send buffer takes a few hundred bytes at once.
      if (::send(target_.fd, header.data(), length, MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(length)) {
        const int error = errno;
        attempt_failed("cannot send the PROXY header: " + describe_connect_error(error),
                       upstream::TrafficFailure::connect_error);
        try_next_target();
        return;
      }
    }
    target_tls_ = std::make_unique<TargetTls>(found->second, target_info().address.host_string(), target_.fd);
    phase_ = Phase::target_handshake;
    deadline_.disarm();
    deadline_.arm(context_.connect_deadlines, core::now_ms() + group().config->connect_timeout.count());
    continue_target_handshake();
  }

  void continue_target_handshake() {
    switch (target_tls_->handshake(target_)) {
      case TargetTls::Handshake::done:
        phase_ = Phase::connecting;
        connected();
        return;
      case TargetTls::Handshake::blocked:
        return;
      case TargetTls::Handshake::failed:
        target_tls_failed(target_tls_->reason());
        return;
    }
  }

  // A failed handshake (verification, protocol, timeout) is a failed attempt: said at warn
  // (a certificate that does not verify is a configuration or security problem, not noise),
  // then the next target is tried; when none is left the client's connection is reset.
  void target_tls_failed(const std::string& reason) {
    core::LogLine(core::LogLevel::warn, "upstream.target_tls_failed")
        .field("listener", listener_.name)
        .field("client", client_address_.to_string())
        .field("group", group().name())
        .field("target", target_info().address_text)
        .field("reason", reason)
        .emit();
    phase_ = Phase::connecting;
    attempt_failed("TLS: " + reason, upstream::TrafficFailure::connect_error);
    try_next_target();
  }

  // ---- relaying ------------------------------------------------------------------------------

  void advance() {
    bool yielded = false;
    if (!up_.ended) {
      auto step = target_tls_ ? target_tls_->pump_up(up_, client_, target_, context_.buffers, !down_.ended, kTurnBudget)
                              : up_.pump(client_, target_, context_.buffers, context_.pipes, !down_.ended, kTurnBudget);
      if (step == RelayDirection::Step::failed_reading) return abort("client_reset");
      if (step == RelayDirection::Step::failed_writing) return abort("target_reset");
      if (step == RelayDirection::Step::ended && close_reason_.empty()) close_reason_ = "client_close";
      yielded = step == RelayDirection::Step::yielded;
    }
    if (!down_.ended) {
      auto step = target_tls_
                      ? target_tls_->pump_down(down_, target_, client_, context_.buffers, !up_.ended, kTurnBudget)
                      : down_.pump(target_, client_, context_.buffers, context_.pipes, !up_.ended, kTurnBudget);
      if (step == RelayDirection::Step::failed_reading) return abort("target_reset");
      if (step == RelayDirection::Step::failed_writing) return abort("client_reset");
      if (step == RelayDirection::Step::ended && close_reason_.empty()) close_reason_ = "target_close";
      yielded = yielded || step == RelayDirection::Step::yielded;
    }
    if (up_.moved || down_.moved) note_activity();
    if (up_.ended && down_.ended) return finish();
    if (yielded && !continuation_posted_) {
      // More is ready but this connection had its turn: continue after the events and work
      // already queued. A session that ends meanwhile is retired by this continuation, not
      // before it (end_quietly), so `this` stays valid.
      continuation_posted_ = true;
      asio::post(context_.loop(), [this] {
        continuation_posted_ = false;
        if (phase_ == Phase::relaying) {
          advance();
        } else {
          context_.readiness.retire(std::unique_ptr<core::ReadinessLoop::Handler>(this));
        }
      });
    }
  }

  void note_activity() {
    const int64_t now_us = core::now_us();
    last_activity_ms_ = now_us / 1000;
    deadline_.set(last_activity_ms_ + listener_.idle_timeout.count());
    if (up_.moved && first_request_us_ == 0) first_request_us_ = now_us;
    if (down_.moved && first_response_us_ < 0) {
      first_response_us_ = now_us - (first_request_us_ != 0 ? first_request_us_ : relay_started_us_);
    }
    up_.moved = down_.moved = false;
  }

  void abort(std::string_view reason) {
    if (close_reason_.empty() || close_reason_ == "client_close" || close_reason_ == "target_close") {
      close_reason_ = reason;
    }
    finish();
  }

  // ---- the end -------------------------------------------------------------------------------

  void finish() {
    phase_ = Phase::finished;
    const auto& group = this->group();
    const auto& target = target_info();
    stop_counting_on_target();  // before anything else: the next pick must see this target as free
    if (registered_ && registered_->closed_by_deregistration()) close_reason_ = "deregistered";
    // Passive health: a reset, or a target that never answered what the client sent, is a failure.
    if (close_reason_ == "target_reset") {
      upstream::report_traffic_failure(group, target, upstream::TrafficFailure::reset);
    } else if (close_reason_ == "idle_timeout" && first_response_us_ < 0 && up_.bytes > 0) {
      upstream::report_traffic_failure(group, target, upstream::TrafficFailure::timeout);
    } else {
      upstream::report_traffic_success(target);
    }
    // least_response_time learns from the target's first answer; a session in which the target
    // never spoke teaches it the connect time instead.
    const int64_t response_us = first_response_us_ >= 0 ? first_response_us_ : connect_us_;
    target.counters->record_response_time(static_cast<uint32_t>(std::min<int64_t>(response_us, UINT32_MAX)),
                                          core::now_us());

    record_stats();
    auto line = core::LogLine::access("tcp.session");
    if (line.enabled()) {  // the client's address is formatted only for a line that goes somewhere
      line.field("listener", listener_.name)
          .field("client", client_address_.to_string())
          .field("group", group.name())
          .field("algorithm", config::to_string(group.config->algorithm))
          .field("target", target.address_text)
          .field("attempts", attempts_)
          .field("connect_ms", static_cast<double>(connect_us_) / 1000.0)
          .field("first_byte_ms", static_cast<double>(first_response_us_) / 1000.0)
          .field("bytes_in", up_.bytes)
          .field("bytes_out", down_.bytes)
          .field("duration_ms", static_cast<double>(core::now_us() - started_us_) / 1000.0)
          .field("close", close_reason_)
          .field("splice", up_.spliced || down_.spliced);
      if (target_tls_) line.field("target_tls", target_tls_->version());
      if (listener_.protocol == config::ListenerProtocol::tls) {
        line.field("sni", server_name_);
        if (sni_rule_ >= 0 && !listener_.rules[static_cast<size_t>(sni_rule_)].name.empty()) {
          line.field("rule", listener_.rules[static_cast<size_t>(sni_rule_)].name);
        }
      }
      line.emit();
    }

    const bool reset = close_reason_ == "client_reset" || close_reason_ == "target_reset" ||
                       close_reason_ == "idle_timeout";
    registered_.reset();  // unlinked before its descriptors close
    if (reset) {
      // Pass an abort on as an abort.
      close_with_reset(client_.fd);
      close_with_reset(target_.fd);
    } else {
      ::close(client_.fd);
      ::close(target_.fd);
    }
    client_.fd = target_.fd = -1;
    end_quietly();
  }

  // Counts the finished session for /metrics (this worker's slots: plain adds, no lock).
  void record_stats() {
    const int64_t duration_us = core::now_us() - started_us_;
    if (auto* stats = listener_stats()) {
      auto& slot = stats->local();
      slot.responses[0].add();  // a TCP connection that ended is what "requests per second" counts
      slot.bytes_in.add(up_.bytes);
      slot.bytes_out.add(down_.bytes);
      slot.request.record(duration_us);
    }
    if (const auto& stats = target_info().stats) {
      auto& slot = stats->local();
      slot.responses[0].add();
      slot.bytes_in.add(up_.bytes);
      slot.bytes_out.add(down_.bytes);
      slot.request.record(duration_us);
      if (first_response_us_ >= 0) slot.first_byte.record(first_response_us_);
    }
  }

  // Ends the session without (more) logging: gives everything back and retires it.
  void end_quietly() {
    phase_ = Phase::finished;
    if (client_.fd >= 0) ::close(client_.fd);
    if (target_.fd >= 0) ::close(target_.fd);
    client_.fd = target_.fd = -1;
    stop_counting_on_target();
    release_everything();
    // With a continuation pending, that continuation retires the session.
    if (!continuation_posted_) context_.readiness.retire(std::unique_ptr<core::ReadinessLoop::Handler>(this));
  }

  // Lowers the target's active count raised when it was picked (once, on whichever path ends it).
  void stop_counting_on_target() {
    if (counted_on_target_) target_info().counters->active.fetch_sub(1, std::memory_order_relaxed);
    counted_on_target_ = false;
  }

  void release_everything() {
    deadline_.disarm();
    registered_.reset();
    up_.release(context_.pipes);
    down_.release(context_.pipes);
    context_.live_sessions.remove(*this);
    context_.active_sessions.fetch_sub(1, std::memory_order_relaxed);
    if (auto* stats = listener_stats()) stats->local().connections_closed.add();
  }

  WorkerContext& context_;
  std::shared_ptr<const upstream::Snapshot> snapshot_;
  std::unique_ptr<balance::Picker> own_picker_;  // picks from snapshot_ once the worker moved on
  const config::ListenerConfig& listener_;
  size_t listener_index_;
  core::Endpoint client_address_;       // the announced one with PROXY protocol
  security::ClientTicket ticket_;       // per-client limits: released when the session ends
  core::Endpoint destination_address_;  // what the client reached
  const int64_t started_us_;
  Phase phase_ = Phase::connecting;
  SocketReadiness client_;
  SocketReadiness target_;
  core::DeadlineSweep::Entry deadline_{*this};  // header, connect or idle, by phase

  // Connecting.
  int group_index_ = -1;
  int target_index_ = -1;  // into group().targets
  std::optional<uint64_t> hash_;  // this connection's ip_hash key (upstream/pick_request.hpp)
  std::array<uint32_t, kMaxAttempts> avoid_{};
  uint32_t attempts_ = 0;
  unsigned target_tag_ = 0;
  bool counted_on_target_ = false;
  int64_t attempt_started_us_ = 0;
  int64_t connect_us_ = 0;
  std::string failure_;  // built only when an attempt fails
  // tls passthrough: the ClientHello's server name (empty: none sent) and the rule it chose.
  std::string server_name_;
  int sni_rule_ = -1;
  std::optional<upstream::OpenSessions::Entry> registered_;
  std::unique_ptr<TargetTls> target_tls_;  // `protocol: tls` groups: the TLS toward the target

  // Relaying.
  RelayDirection up_;    // client -> target
  RelayDirection down_;  // target -> client
  int64_t relay_started_us_ = 0;
  int64_t last_activity_ms_ = 0;
  int64_t first_request_us_ = 0;   // when the client's first bytes went to the target
  int64_t first_response_us_ = -1;  // the target's first byte back, after that; -1: never
  std::string_view close_reason_;
  bool continuation_posted_ = false;
};

}  // namespace

void start_tcp_session(WorkerContext& context, size_t listener_index, int client_fd, const core::Endpoint& peer,
                       security::ClientTicket ticket) {
  int one = 1;
  ::setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto* session = new TcpSession(context, listener_index, client_fd, peer, std::move(ticket));
  session->start();
}

}  // namespace fulcrum::l4
