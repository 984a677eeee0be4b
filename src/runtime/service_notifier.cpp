#include "runtime/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

#include "core/log.hpp"

namespace fulcrum::runtime {
namespace {

// STATUS= is one line: a reason with a newline in it would end the message early.
std::string status_field(std::string_view status) {
  std::string line = "STATUS=";
  for (char c : status) line += (c == '\n' || c == '\r') ? ' ' : c;
  return line;
}

uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // sd_watchdog_enabled() also checks $WATCHDOG_PID: only the process systemd meant pings.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

void ServiceNotifier::send(const std::string& message) {
  if (!enabled_) return;
  const int sent = sd_notify(0, message.c_str());
  if (sent < 0) {
    core::LogLine(core::LogLevel::warn, "service.notify_failed").field("error", -sent).emit();
  }
}

void ServiceNotifier::ready(std::string_view status) { send("READY=1\n" + status_field(status)); }

void ServiceNotifier::reloading() {
  // MONOTONIC_USEC lets systemd (Type=notify-reload, 253+) match this to the signal it sent.
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\nSTATUS=reloading the configuration");
}

void ServiceNotifier::reloaded(std::string_view status) { send("READY=1\n" + status_field(status)); }

void ServiceNotifier::stopping(std::string_view status) { send("STOPPING=1\n" + status_field(status)); }

void ServiceNotifier::main_pid(pid_t pid, std::string_view status) {
  send("MAINPID=" + std::to_string(pid) + "\n" + status_field(status));
}

void ServiceNotifier::status(std::string_view status) { send(status_field(status)); }

void ServiceNotifier::watchdog() { send("WATCHDOG=1"); }

}  // namespace fulcrum::runtime
