#pragma once
// A stand-in for systemd's notification socket: an AF_UNIX datagram socket a test gives to
// fulcrum as $NOTIFY_SOCKET, receiving what sd_notify(3) sends (READY=1, RELOADING=1, STATUS=,
// MAINPID=, STOPPING=1, WATCHDOG=1) with the sender's pid (SO_PASSCRED), as systemd reads it
// to decide whether the main process spoke.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace fulcrum::testing {

struct Notification {
  std::string text;  // "READY=1\nSTATUS=..."
  int sender = 0;    // pid
  std::chrono::steady_clock::time_point at;
  bool has(const std::string& line) const;  // one of its lines is exactly `line`
  // The value of NAME= ("" when absent).
  std::string value(const std::string& name) const;
};

class NotifySocket {
 public:
  explicit NotifySocket(const TempDir& dir);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // NOTIFY_SOCKET=PATH, for Process's environment.
  std::string environment() const { return "NOTIFY_SOCKET=" + path_; }
  // Waits for the next message that has `line` (e.g. "READY=1"), reading and keeping every message
  // before it in all(); nullopt after the timeout.
  std::optional<Notification> wait_for(const std::string& line, std::chrono::milliseconds timeout = 10s);
  // The same for the next message that sets NAME= ("MAINPID").
  std::optional<Notification> wait_for_field(const std::string& name, std::chrono::milliseconds timeout = 10s);
  // Reads (into all()) every message already waiting; returns how many.
  size_t drain();
  // Messages received within `window` from now, kept in all() too.
  std::vector<Notification> collect(std::chrono::milliseconds window);
  const std::vector<Notification>& all() const { return all_; }

 private:
  std::optional<Notification> receive(std::chrono::milliseconds timeout);
  template <typename Match>
  std::optional<Notification> wait_until(Match match, std::chrono::milliseconds timeout);

  std::string path_;
  int fd_ = -1;
  std::vector<Notification> all_;
};

}  // namespace fulcrum::testing
