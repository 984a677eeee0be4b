#include "runtime/worker_watchdog.hpp"

#include "core/log.hpp"

namespace fulcrum::runtime {

WorkerWatchdog::WorkerWatchdog(asio::io_context& control, std::vector<core::Worker*> workers,
                               ServiceNotifier& notifier)
    : timer_(control),
      workers_(std::move(workers)),
      notifier_(notifier),
      period_(notifier.watchdog_interval() / 4),
      answered_(std::make_shared<std::vector<std::atomic<uint64_t>>>(workers_.size())) {}

void WorkerWatchdog::start() {
  if (period_.count() <= 0) return;
  core::LogLine(core::LogLevel::info, "watchdog.start")
      .field("interval_ms", static_cast<int64_t>(notifier_.watchdog_interval().count() / 1000))
      .field("workers", static_cast<uint64_t>(workers_.size()))
      .emit();
  tick();
}

void WorkerWatchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

void WorkerWatchdog::tick() {
  std::string silent;
  for (size_t w = 0; w < workers_.size(); ++w) {
    if ((*answered_)[w].load(std::memory_order_acquire) != sent_) silent += (silent.empty() ? "" : ",") + std::to_string(w);
  }
  if (silent.empty()) {
    notifier_.watchdog();
    if (withholding_) core::LogLine(core::LogLevel::warn, "watchdog.workers_answer").emit();
    withholding_ = false;
  } else if (!withholding_) {
    withholding_ = true;
    core::LogLine(core::LogLevel::error, "watchdog.worker_stuck")
        .field("workers", silent)
        .field("why", "a worker's event loop did not answer: watchdog pings withheld, systemd will restart the "
                      "process if it stays stuck")
        .emit();
  }
  // One small handler per worker per tick; a stuck worker runs the ones it missed when it is
  // free again, the newest last, and the pings resume.
  ++sent_;
  for (size_t w = 0; w < workers_.size(); ++w) {
    workers_[w]->post([answered = answered_, w, beat = sent_] { (*answered)[w].store(beat, std::memory_order_release); });
  }
  timer_.expires_after(period_);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) tick();
  });
}

}  // namespace fulcrum::runtime
