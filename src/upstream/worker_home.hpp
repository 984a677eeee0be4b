#pragma once
// What every proxy of one worker shares, whatever its protocol: its view of the upstream
// snapshot with one picker per group (so a worker balances each group with one picker, not
// one per proxy), the list of its sessions connected to targets, and its buffer pool. The L4
// WorkerContext and the HTTP HttpWorker are built on the same home; the server installs each
// snapshot into it once, on the worker's thread, before either proxy installs its own tables.
// Only the worker's thread touches it.
#include <asio/io_context.hpp>

#include "core/buffer_pool.hpp"
#include "core/worker.hpp"
#include "upstream/worker_upstreams.hpp"

namespace fulcrum::upstream {

struct WorkerHome {
  explicit WorkerHome(core::Worker& w) : worker(w), upstreams(w.index()) {}
  WorkerHome(const WorkerHome&) = delete;
  WorkerHome& operator=(const WorkerHome&) = delete;

  core::Worker& worker;
  WorkerUpstreams upstreams;
  core::BufferPool buffers;

  asio::io_context& loop() { return worker.loop(); }
};

}  // namespace fulcrum::upstream
