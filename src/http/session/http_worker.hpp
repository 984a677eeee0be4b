#pragma once
// Everything one worker's HTTP sessions share. What the exchanges use (buffers, the pickers over
// the current upstream snapshot, the keep-alive pool, the deadline sweeper, routes, stickiness
// signers, pattern rules, guards, counters) is ExchangeWorker's (http/exchange/); HttpWorker
// adds what only client connections need: server TLS contexts, idle parking, the slowloris
// list, the sessions count for draining. Only the worker's thread touches it, except the
// atomics the control thread reads. The buffer pool and the upstream view (pickers, open
// sessions) are the worker's home's, shared with the L4 WorkerContext (upstream/worker_home.hpp).
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/worker.hpp"
#include "http/exchange/exchange_worker.hpp"
#include "http/session/awaiting_headers.hpp"
#include "http/session/idle_parking.hpp"
#include "http/target/upstream_pool.hpp"
#include "tls/client_context.hpp"
#include "tls/server_context.hpp"

namespace fulcrum::http {

class H2Connection;

struct HttpWorker : ExchangeWorker {
  explicit HttpWorker(upstream::WorkerHome& home);

  // Sessions waiting for their next request inside their serve() coroutine, with a buffer
  // (busy keep-alive clients); bounded so that many idle clients never hold buffers and frames.
  static constexpr size_t kMaxHotWaiters = 128;
  size_t hot_waiters = 0;

  // Idle keep-alive connections to targets, taken and given back through PooledConnector.
  UpstreamPool pool;

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
  // HTTP/2 client connections (an intrusive list through them): GOAWAY to each when draining.
  H2Connection* h2_connections = nullptr;
  const void* h2_config = nullptr;  // the configuration the HTTP/2 connections were opened under

  // Sessions with an unfinished head (max_connections_awaiting_headers).
  AwaitingHeaders awaiting_headers;
  // Idle keep-alive client connections: parked outside Asio after a while (64 bytes each).
  IdleParking parking{worker.loop(), *this};
  // When the tick next frees the coroutine frames a burst left beyond the thread's budget.
  int64_t next_frame_release_ms = 0;

  // Called on the worker's thread, after the home installed `snapshot`: routes, signers,
  // pattern rules, guards and target TLS for its configuration.
  void install(std::shared_ptr<const upstream::Snapshot> snapshot);
  // The end of `target`'s deregistration delay (on the worker's thread): its pooled idle
  // connections are closed. (Its in-flight requests and tunnels are in the home's
  // OpenSessions, which the server closes once for both proxies.)
  void close_target(const upstream::TrafficOutcomes* target);
  // Before the worker's loop is destroyed: drops the I/O objects this worker owns.
  void release_io();
};

}  // namespace fulcrum::http
