#pragma once
// Per-worker pool of idle keep-alive connections to targets (nginx `keepalive`, HAProxy's idle
// server connections). Only the worker's thread touches it: no lock. Connections are keyed by
// the target's shared counters (one per group and address, stable across reloads) and checked
// against the address when taken, so a reused key can never hand out a connection to another
// host. A connection the target closed while it sat idle is detected when taken (a
// non-blocking peek sees EOF or stray bytes) and never handed out; the tick sweep closes those
// idle longer than the group's keepalive_timeout. A connection given back under kFreshMs ago
// is handed out unprobed to a request that can be replayed (the whole request still in the
// buffer): under load that saves a system call per request, and if the target did close it in
// that instant, the session resends the request on a new connection, the client unaware.
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "balance/picker.hpp"
#include "core/endpoint.hpp"
#include "http/stream/socket_stream.hpp"

namespace fulcrum::http {

class UpstreamPool {
 public:
  static constexpr int64_t kFreshMs = 100;

  // A live idle connection to `address`, or nullopt. `replayable`: the caller can resend the
  // request on a new connection if this one turns out closed (a fresh one is not probed).
  std::optional<SocketStream> take(const balance::TargetCounters* key, const core::Endpoint& address,
                                       int64_t now_ms, bool replayable = false);
  // Keeps `connection` for reuse; when the target already holds `max_idle` idle connections
  // (at most config's kMaxKeepaliveConnections, which `auto` means), the oldest is closed.
  void give_back(const balance::TargetCounters* key, const core::Endpoint& address, SocketStream connection,
                 uint32_t max_idle, int64_t idle_timeout_ms, int64_t now_ms);
  // Closes every idle connection to the target behind `key` (its deregistration delay ended).
  void drop(const balance::TargetCounters* key) { idle_.erase(key); }
  // Closes connections idle past their timeout.
  void sweep(int64_t now_ms);
  void clear() { idle_.clear(); }

  uint64_t reused() const { return reused_; }
  uint64_t stale_discarded() const { return stale_; }
  size_t idle_count() const;
  // No idle connection, so nothing for sweep() to close.
  bool empty() const { return idle_.empty(); }

 private:
  struct Idle {
    SocketStream connection;
    core::Endpoint address;
    int64_t expires_ms;
    int64_t returned_ms;
  };
  // Per target, oldest first: taken from the back, dropped from the front. A vector rather than
  // a deque: taking and giving back at the back never allocates, while a deque frees and
  // allocates a block each time the back crosses a block's edge. Dropping from the front only
  // happens at the cap.
  std::unordered_map<const balance::TargetCounters*, std::vector<Idle>> idle_;
  uint64_t reused_ = 0;
  uint64_t stale_ = 0;
  int64_t next_sweep_ms_ = 0;
};

}  // namespace fulcrum::http
