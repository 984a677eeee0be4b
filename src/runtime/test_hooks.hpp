#pragma once
// What only tests may do to a running process, present only when the environment says
// FULCRUM_TEST_HOOKS=1 (never set by the package or the unit; the start log warns when it is).
// Today one thing: SIGRTMIN+1 blocks worker 0's event loop for FULCRUM_TEST_BLOCK_MS (default
// 3000) milliseconds, as a worker stuck in a bug would be, so that a test can watch the
// watchdog pings stop (runtime/worker_watchdog.hpp). Without the variable, the signal keeps
// its default action and no code here runs.
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <memory>

#include "core/worker.hpp"

namespace fulcrum::runtime {

class TestHooks {
 public:
  // Null unless FULCRUM_TEST_HOOKS=1.
  static std::unique_ptr<TestHooks> from_environment(asio::io_context& control, core::Worker& first_worker);

  TestHooks(asio::io_context& control, core::Worker& first_worker, int block_ms);
  void stop();

 private:
  void wait();

  asio::signal_set block_signal_;
  core::Worker& worker_;
  int block_ms_;
};

}  // namespace fulcrum::runtime
