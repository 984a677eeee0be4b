#pragma once
// The one line `systemctl status fulcrum` shows under "Status:": listeners, healthy targets out
// of all, and requests per second ("2 listeners, 5/6 targets healthy, 1520 req/s"), sent as
// STATUS= every few seconds while systemd listens, and also the status text of READY=1 after a
// start or a reload. Requests are HTTP requests plus finished TCP connections, as the admin
// API's per-listener rates count them.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/service_notifier.hpp"
#include "upstream/target_registry.hpp"

namespace fulcrum::runtime {

class StatusReporter {
 public:
  static constexpr std::chrono::seconds kInterval{5};

  StatusReporter(asio::io_context& control, const upstream::TargetRegistry& registry, ServiceNotifier& notifier);

  // Sends STATUS= every kInterval; nothing when systemd does not listen.
  void start();
  void stop();
  // The line as of now (requests/s over the last interval), with the note if there is one.
  std::string line();
  // Said after the figures until replaced: "reload failed: FILE:3:5: ...; serving the previous
  // configuration" stays in `systemctl status` until a reload succeeds. "" clears it.
  void set_note(std::string note) { note_ = std::move(note); }

 private:
  void schedule();
  uint64_t total_requests() const;

  asio::steady_timer timer_;
  const upstream::TargetRegistry& registry_;
  ServiceNotifier& notifier_;
  std::chrono::steady_clock::time_point sampled_at_{};
  uint64_t sampled_requests_ = 0;
  double requests_per_second_ = 0;
  std::string note_;
  bool stopped_ = false;
};

}  // namespace fulcrum::runtime
