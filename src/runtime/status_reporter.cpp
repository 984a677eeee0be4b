#include "runtime/status_reporter.hpp"

#include <cmath>

namespace fulcrum::runtime {

StatusReporter::StatusReporter(asio::io_context& control, const upstream::TargetRegistry& registry,
                               ServiceNotifier& notifier)
    : timer_(control), registry_(registry), notifier_(notifier) {}

void StatusReporter::start() {
  if (!notifier_.enabled()) return;
  sampled_at_ = std::chrono::steady_clock::now();
  sampled_requests_ = total_requests();
  schedule();
}

void StatusReporter::stop() {
  stopped_ = true;
  timer_.cancel();
}

void StatusReporter::schedule() {
  timer_.expires_after(kInterval);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    notifier_.status(line());
    schedule();
  });
}

uint64_t StatusReporter::total_requests() const {
  const auto& snapshot = registry_.last();
  if (!snapshot) return 0;
  uint64_t total = 0;
  for (const auto& stats : snapshot->listener_stats) total += stats->sum().requests();
  return total;
}

std::string StatusReporter::line() {
  const auto now = std::chrono::steady_clock::now();
  const uint64_t requests = total_requests();
  const double seconds = std::chrono::duration<double>(now - sampled_at_).count();
  // A reload may start counters of a new listener from zero: never a negative rate.
  if (sampled_at_.time_since_epoch().count() != 0 && seconds >= 0.5 && requests >= sampled_requests_) {
    requests_per_second_ = static_cast<double>(requests - sampled_requests_) / seconds;
  }
  if (seconds >= 0.5 || sampled_at_.time_since_epoch().count() == 0) {
    sampled_at_ = now;
    sampled_requests_ = requests;
  }
  const auto& snapshot = registry_.last();
  size_t listeners = 0, healthy = 0, targets = 0;
  if (snapshot) {
    listeners = snapshot->config->listeners.size();
    for (const auto& group : snapshot->groups) {
      for (const auto& target : group.targets) {
        ++targets;
        if (target.status.state == upstream::TargetState::healthy) ++healthy;
      }
    }
  }
  return std::to_string(listeners) + (listeners == 1 ? " listener, " : " listeners, ") + std::to_string(healthy) +
         "/" + std::to_string(targets) + " targets healthy, " +
         std::to_string(static_cast<uint64_t>(std::llround(requests_per_second_))) + " req/s" +
         (note_.empty() ? "" : "; " + note_);
}

}  // namespace fulcrum::runtime
