#pragma once
// What the exchanges of one worker share: buffers and the worker's pickers over the current
// upstream snapshot (both the worker's home's, upstream/worker_home.hpp), the deadline sweeper,
// the compiled routes, stickiness signers and pattern rules, the security guards, request ids
// and counters. Only the worker's thread touches it, except the atomics the control thread
// reads. What carries bytes (the keep-alive pool of target connections, server and target TLS
// contexts) and the client connections' own state (idle parking, the slowloris list) are
// HttpWorker's, which builds on this (http/session/http_worker.hpp); exchanges reach targets
// through a TargetConnector.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer_pool.hpp"
#include "core/worker.hpp"
#include "http/exchange/listener_routes.hpp"
#include "http/exchange/sticky_cookie.hpp"
#include "http/h1/header.hpp"
#include "http/stream/deadline_watch.hpp"
#include "security/guards.hpp"
#include "security/waf_rules.hpp"
#include "upstream/worker_home.hpp"
#include "upstream/worker_upstreams.hpp"

namespace fulcrum::http {

struct ExchangeWorker {
  explicit ExchangeWorker(upstream::WorkerHome& home)
      : worker(home.worker), buffers(home.buffers), upstreams(home.upstreams), deadlines(home.loop()) {}

  core::Worker& worker;
  // The worker's home's (shared with the L4 proxy): one buffer pool, one picker per group.
  core::BufferPool& buffers;
  upstream::WorkerUpstreams& upstreams;
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

  // Per listener: its pattern rules compiled for this worker (null: none), rebuilt when the
  // configuration changes (not on every snapshot).
  std::vector<std::unique_ptr<security::WafRules>> waf;
  const config::Config* waf_config = nullptr;
  security::WafRules* waf_for(size_t listener_index) {
    return listener_index < waf.size() ? waf[listener_index].get() : nullptr;
  }

  asio::io_context& loop() { return worker.loop(); }
};

}  // namespace fulcrum::http
