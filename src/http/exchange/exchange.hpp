#pragma once
// One request in flight, whatever protocol brought it: everything the exchange's steps
// (admission, routing, stickiness, forwarding and retries, the log line) read and write. It
// lives in the frame of the client codec's coroutine only while the request runs; nothing in
// it allocates unless a body must be kept for a retry or a head outgrows a pooled buffer.
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "balance/picker.hpp"
#include "core/buffer_pool.hpp"
#include "http/h1/body_framing.hpp"
#include "http/h1/chunked_decoder.hpp"
#include "http/h1/content_length_body.hpp"
#include "http/h1/desync_reason.hpp"
#include "http/h1/parser_limits.hpp"
#include "http/h1/request_head.hpp"
#include "http/target/target_connector.hpp"
#include "http/target/target_report.hpp"
#include "security/client_table.hpp"
#include "upstream/open_sessions.hpp"
#include "upstream/retry_budget.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::http {

constexpr size_t kMaxConnectAttempts = 16;

// A listener's limits for its request heads and for the response heads of its targets.
inline ParserLimits limits_of(const config::ListenerConfig& listener) {
  ParserLimits limits;
  limits.max_request_line = listener.max_request_line;
  limits.max_header_bytes = listener.max_header_bytes;
  limits.max_headers = listener.max_headers;
  return limits;
}

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

// reconfigured: a reload installed a new configuration while the request was in flight: our
// group and target indexes may no longer name the same things -> 502.
// refused covers every failure before an answer (refused, reset, closed): 502; timeout: 504.
enum class ConnectFailure : uint8_t { none, no_target, refused, timeout, reconfigured };

// Where an attempt failed decides whether the request may go to another target (retries the
// client never sees; docs/configuration.md § Retries).
enum class AttemptFailure : uint8_t {
  not_sent,     // refused or reset before any of the request was written, or the write failed
  no_response,  // written whole, then the connection closed or reset before a response byte
  timed_out,    // written whole, then response_timeout passed before a response byte
};

// Who sent the request: facts every client protocol has.
struct ClientFacts {
  uint32_t listener_index = 0;
  int family = 0;             // AF_INET or AF_INET6
  const uint8_t* address = nullptr;  // 4 or 16 bytes
  bool secure = false;        // the client connection is TLS (scheme https, X-Forwarded-Proto)
  security::ClientTicket* ticket = nullptr;  // per-client limits (request rate), if held
  bool http2 = false;         // the request came on an HTTP/2 stream (the log's protocol)
};

struct Exchange {
  Exchange(TargetConnector& connector, std::shared_ptr<const upstream::Snapshot> s)
      : snapshot(std::move(s)), target(connector) {
    std::memset(request_id, '-', sizeof request_id);
  }
  std::shared_ptr<const upstream::Snapshot> snapshot;  // what the request is served from
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
  TargetConnector& target;
  // Linked in the worker's OpenSessions while the target is connected, so that the end of the
  // target's deregistration delay shuts it down; unlinked before the connection closes (a
  // closed descriptor's number may already belong to another).
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
  std::unique_ptr<balance::Picker> own_picker;  // picks from `snapshot` once the worker moved on
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
    target.drop();
  }
};

}  // namespace fulcrum::http
