#pragma once
// Everything a worker's L4 sessions use: the loop and its readiness set, deadline sweeps, the
// pipe pool, per-listener group splits and counters, and, from the worker's home shared with
// the HTTP proxy (upstream/worker_home.hpp), the buffer pool and its view of the upstream
// snapshot. Only the worker's own thread touches it, except the atomics the control thread
// reads for draining and shutdown.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/buffer_pool.hpp"
#include "core/deadline_sweep.hpp"
#include "core/readiness_loop.hpp"
#include "core/worker.hpp"
#include "l4/live_sessions.hpp"
#include "l4/pipe_pool.hpp"
#include "security/guards.hpp"
#include "tls/client_context.hpp"
#include "upstream/group_split.hpp"
#include "upstream/worker_home.hpp"
#include "upstream/worker_upstreams.hpp"

namespace fulcrum::l4 {

struct WorkerContext {
  explicit WorkerContext(upstream::WorkerHome& home)
      : worker(home.worker),
        readiness(home.loop()),
        connect_deadlines(home.loop(), std::chrono::milliseconds(25)),
        idle_deadlines(home.loop(), std::chrono::milliseconds(250)),
        buffers(home.buffers),
        upstreams(home.upstreams) {}

  core::Worker& worker;
  // Layer-4 TCP sockets are driven by this set, not by Asio sockets (see readiness_loop.hpp).
  core::ReadinessLoop readiness;
  // Connect and PROXY-header timeouts fire within 25 ms of their time; idle timeouts (seconds
  // to minutes) within 250 ms, swept less often because every open connection is in it.
  core::DeadlineSweep connect_deadlines;
  core::DeadlineSweep idle_deadlines;
  core::BufferPool& buffers;           // the worker's home's
  PipePool pipes;
  upstream::WorkerUpstreams& upstreams;  // the worker's home's (installed there first)
  LiveSessions live_sessions;
  std::atomic<uint64_t> active_sessions{0};
  std::atomic<uint64_t> total_sessions{0};
  // Rate limit for log lines that an attack or outage could repeat per connection.
  int64_t last_accept_error_log_ms = 0;

  // One per listener of the installed snapshot's configuration, same order.
  std::vector<upstream::GroupSplit> listener_splits;
  // Per listener, one per rule: the splits of `tls` listeners' rules (chosen by SNI); empty for others.
  std::vector<std::vector<upstream::GroupSplit>> rule_splits;

  // The client TLS contexts of the `protocol: tls` (and https) target groups, by group name;
  // replaced by the control thread on reload (a session keeps the context it started with).
  std::shared_ptr<const tls::TargetContexts> target_tls;

  // The process-wide security state (set by the server before the workers start; null: no
  // checks) and the guards of the installed configuration's listeners.
  security::Guards* guards = nullptr;
  std::shared_ptr<const security::ListenerGuards> listener_guards;
  // A new connection from `peer` on listener `listener_index`: access list and per-client
  // limits. False: the caller closes it at once. On an accept_proxy_protocol listener these
  // wait for the PROXY header (the peer is the proxy in front): admit_announced().
  bool admit(size_t listener_index, const core::Endpoint& peer, security::ClientTicket& ticket);
  // The same checks after the PROXY header, with the client address it announced (the
  // proxy's own for a LOCAL or UNKNOWN header).
  bool admit_announced(size_t listener_index, const core::Endpoint& client, security::ClientTicket& ticket);

  asio::io_context& loop() { return worker.loop(); }
  // Before the worker's loop is destroyed (its thread has stopped): ends the sessions a drain
  // left open and drops the I/O objects this context owns.
  void release_io();
  // Called on the worker's thread, after the home installed `snapshot`: switches new
  // connections to its listener splits and guards.
  void install(std::shared_ptr<const upstream::Snapshot> snapshot);
};

}  // namespace fulcrum::l4
