#pragma once
// Everything one worker's HTTP sessions share: buffers, the worker's pickers over the current
// upstream snapshot, the keep-alive pool to targets, the deadline sweeper, a scratch array for
// parsed field lines, and counters. Only the worker's thread touches it, except the atomics the
// control thread reads for draining. Independent of the L4 room's WorkerContext on purpose:
// the two proxies share the worker's loop and the published snapshot, nothing else.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/buffer_pool.hpp"
#include "core/worker.hpp"
#include "http/session/awaiting_headers.hpp"
#include "http/stream/deadline_watch.hpp"
#include "http/h1/header.hpp"
#include "http/session/idle_parking.hpp"
#include "http/exchange/listener_routes.hpp"
#include "http/exchange/sticky_cookie.hpp"
#include "http/target/upstream_pool.hpp"
#include "security/guards.hpp"
#include "security/waf_rules.hpp"
#include "tls/client_context.hpp"
#include "tls/server_context.hpp"
#include "upstream/worker_upstreams.hpp"

namespace fulcrum::http {

struct HttpWorker {
  explicit HttpWorker(core::Worker& w);

  core::Worker& worker;
  core::BufferPool buffers;
  // Sessions waiting for their next request inside their serve() coroutine, with a buffer
  // (busy keep-alive clients); bounded so that many idle clients never hold buffers and frames.
  static constexpr size_t kMaxHotWaiters = 128;
  size_t hot_waiters = 0;
  upstream::WorkerUpstreams upstreams;
  UpstreamPool pool;
  DeadlineWatch deadlines;
  // Field lines of the head being parsed. Shared by every session of the worker: a session
  // copies out what it keeps before its next await, so one array serves them all.
  std::vector<Header> header_scratch;
  // The start of a chunked request body de-chunked for the pattern rules (up to waf_body_bytes).
  std::string waf_body;
  // One per listener of the installed snapshot's configuration, same order.
  std::vector<ListenerRoutes> routes;
  // One per group of the installed snapshot: the signer of its stickiness cookie, if any.
  std::vector<std::optional<StickyCookie>> sticky;

  // One per listener: the TLS context of an https listener (null for the others). Set before the
  // worker starts and replaced by a post when certificates are reloaded.
  std::vector<std::shared_ptr<const tls::ServerContext>> tls;
  // https target groups: the client contexts by name (published by the control thread) and, per
  // group of the installed snapshot, the one its connections use (null: plain).
  std::shared_ptr<const tls::TargetContexts> target_tls_by_name;
  std::vector<std::shared_ptr<const tls::ClientContext>> target_tls;
  void set_target_tls(std::shared_ptr<const tls::TargetContexts> by_name);
  // TLS handshakes completed (of which resumed) and failed, on this worker.
  uint64_t tls_handshakes = 0;
  uint64_t tls_resumed = 0;
  uint64_t tls_handshake_failures = 0;

  std::atomic<uint64_t> active_sessions{0};
  std::atomic<uint64_t> total_requests{0};
  // Shutting down or handing over to a new process (worker's thread): each client's next
  // response says Connection: close and the connection ends after it, so keep-alive clients
  // leave at a request boundary instead of being cut when shutdown_timeout runs out.
  bool draining = false;
  uint64_t request_id_prefix = 0;  // random per worker and process
  uint64_t request_id_counter = 0;

  // The process-wide security state (set by the server before the workers start; null: no
  // checks) and the guards of the installed configuration's listeners.
  security::Guards* guards = nullptr;
  std::shared_ptr<const security::ListenerGuards> listener_guards;
  // The guard of a listener with something to check at accept time, else null.
  const security::ListenerGuard* guard(size_t listener_index) const {
    const security::ListenerGuard* g = any_guard(listener_index);
    return g != nullptr && !g->open() ? g : nullptr;
  }
  // The guard of a listener even when nothing is checked at accept (its counters: the WAF and
  // min_body_rate count there); null only without security state.
  const security::ListenerGuard* any_guard(size_t listener_index) const {
    if (guards == nullptr || !listener_guards || listener_index >= listener_guards->size()) return nullptr;
    return &(*listener_guards)[listener_index];
  }

  // Sessions with an unfinished head (max_connections_awaiting_headers).
  AwaitingHeaders awaiting_headers;
  // Idle keep-alive client connections: parked outside Asio after a while (64 bytes each).
  IdleParking parking{worker.loop(), *this};
  // Per listener: its pattern rules compiled for this worker (null: none), rebuilt when the
  // configuration changes (not on every snapshot).
  std::vector<std::unique_ptr<security::WafRules>> waf;
  const config::Config* waf_config = nullptr;
  security::WafRules* waf_for(size_t listener_index) {
    return listener_index < waf.size() ? waf[listener_index].get() : nullptr;
  }

  asio::io_context& loop() { return worker.loop(); }
  void install(std::shared_ptr<const upstream::Snapshot> snapshot);
  // The end of `target`'s deregistration delay (on the worker's thread): its in-flight
  // requests lose their target connection, its tunnels both sides, its pooled idle
  // connections are closed.
  void close_target(const upstream::TrafficOutcomes* target);
  // Before the worker's loop is destroyed: drops the I/O objects this worker owns.
  void release_io();
};

}  // namespace fulcrum::http
