#pragma once
// systemd's watchdog (WatchdogSec=) asks for a ping more often than the interval; a process that
// misses it is killed and, with Restart=on-failure, started again. A ping from the control
// thread alone would prove little: the workers serve the traffic, and one stuck in a loop or a
// blocking call leaves the control thread free to ping on. So every tick (a quarter of the
// interval) posts a heartbeat to every worker's event loop, and the ping goes out only when
// every worker answered the previous heartbeat. A worker that stops answering stops the pings,
// and systemd restarts the process within the interval; a worker busy for less than about
// three ticks costs nothing.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "core/worker.hpp"
#include "runtime/service_notifier.hpp"

namespace fulcrum::runtime {

class WorkerWatchdog {
 public:
  WorkerWatchdog(asio::io_context& control, std::vector<core::Worker*> workers, ServiceNotifier& notifier);

  // Pings every interval/4 while the workers answer; does nothing without a watchdog interval.
  void start();
  void stop();

 private:
  void tick();

  asio::steady_timer timer_;
  std::vector<core::Worker*> workers_;
  ServiceNotifier& notifier_;
  std::chrono::microseconds period_;
  // Per worker, the last heartbeat it ran; shared with the posted heartbeats, which may outlive
  // this object when the process stops with a worker still stuck.
  std::shared_ptr<std::vector<std::atomic<uint64_t>>> answered_;
  uint64_t sent_ = 0;
  bool withholding_ = false;  // the last tick found a worker that did not answer
  bool stopped_ = false;
};

}  // namespace fulcrum::runtime
