#pragma once
// Everything a worker owns that its sessions use: the loop, buffer and pipe pools, its view of
// the upstream snapshot, and counters. Only the worker's own thread touches it, except the
// atomics the control thread reads for draining and shutdown.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/buffer_pool.hpp"
#include "core/worker.hpp"
#include "l4/connect_watch.hpp"
#include "l4/listener_route.hpp"
#include "l4/pipe_pool.hpp"
#include "upstream/worker_upstreams.hpp"

namespace fulcrum::l4 {

struct WorkerContext {
  explicit WorkerContext(core::Worker& w) : worker(w), upstreams(w.index()), connects(w.loop()) {}

  core::Worker& worker;
  core::BufferPool buffers;
  PipePool pipes;
  upstream::WorkerUpstreams upstreams;
  ConnectWatch connects;
  std::atomic<uint64_t> active_sessions{0};
  std::atomic<uint64_t> total_sessions{0};
  // Rate limit for log lines that an attack or outage could repeat per connection.
  int64_t last_accept_error_log_ms = 0;

  // One per listener of the installed snapshot's configuration, same order.
  std::vector<GroupSplit> listener_splits;

  asio::io_context& loop() { return worker.loop(); }
  // Before the worker's loop is destroyed: drops the I/O objects this context owns.
  void release_io() { connects.timer_.reset(); }
  // Called on the worker's thread: switches new connections to this snapshot.
  void install(std::shared_ptr<const upstream::Snapshot> snapshot);
};

}  // namespace fulcrum::l4
