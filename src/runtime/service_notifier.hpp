#pragma once
// What the service manager hears from us, through sd_notify(3) (libsystemd): READY=1 once every
// listener is bound and the first health round is scheduled; RELOADING=1 (with MONOTONIC_USEC)
// then READY=1 around every reload, failed or not; STOPPING=1 when a stop begins; MAINPID= when
// a hot upgrade hands the service to a new process; STATUS= lines for `systemctl status`; and
// WATCHDOG=1 pings (runtime/worker_watchdog.hpp). Started without $NOTIFY_SOCKET (a shell,
// another supervisor) every call does nothing. The environment is left as it is: a successor
// started for a hot upgrade inherits $NOTIFY_SOCKET and speaks to the same manager.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>

namespace fulcrum::runtime {

class ServiceNotifier {
 public:
  ServiceNotifier();

  bool enabled() const { return enabled_; }
  // WatchdogSec= of the unit ($WATCHDOG_USEC for this process), zero when off.
  std::chrono::microseconds watchdog_interval() const { return watchdog_; }

  void ready(std::string_view status);
  void reloading();
  void reloaded(std::string_view status);
  void stopping(std::string_view status);
  // Hands the service to `pid` (a hot upgrade's new process, started inside the unit).
  void main_pid(pid_t pid, std::string_view status);
  void status(std::string_view status);
  void watchdog();

 private:
  void send(const std::string& message);

  bool enabled_ = false;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace fulcrum::runtime
