#pragma once
// Hot binary upgrade: how a new fulcrum process takes the listening sockets of the running one
// (as nginx and HAProxy do), so that no connection is refused while the binary changes.
//
// The running process listens on a UNIX socket (SOCK_SEQPACKET: one record per message) at
// the upgrade socket path, readable only by its own user (mode 0600, and the peer's uid is
// checked with SO_PEERCRED: the sockets are the keys to its ports). `fulcrum run --upgrade`
// validates its own configuration first, then:
//
//   new -> old   FULCRUM-UPGRADE 1 pid=<pid>
//   old -> new   SOCKETS <n>\n<kind>\n...        (or REFUSED <why>: shutting down, busy)
//   old -> new   FDS, with up to kFdsPerMessage descriptors in SCM_RIGHTS, until n arrived
//   new -> old   READY                            (after it accepts on every listener)
//   old -> new   DRAINING pid=<pid> open_connections=<n>
//
// On READY the old process stops accepting (its descriptors close; the sockets live on in the
// new process), drains its open connections for up to shutdown_timeout and exits. If the new
// process fails before READY (a certificate it cannot read, a port it cannot bind), it just
// closes the channel: the old process logs it and goes on serving as if nothing had happened.
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/inherited_sockets.hpp"

namespace fulcrum::runtime {

inline constexpr size_t kFdsPerMessage = 64;  // well below the kernel's SCM_MAX_FD (253)

// Where the running process listens when the command line does not say (--upgrade-socket):
// $XDG_RUNTIME_DIR, else /run for root (/run/fulcrum, made for the user, when root switches to
// `user:`), else /tmp; named after the configuration file's absolute path, so a process and its
// successor started with the same -c FILE meet there and two instances with different files
// never do: <dir>/fulcrum-<16 hex digits>.sock.
std::string default_upgrade_socket_path(const std::string& config_path, bool switches_user = false);

// The running (old) process's side, on the control thread.
class UpgradeListener {
 public:
  struct Hooks {
    std::function<std::string()> refuse_reason;              // "" when an upgrade may start
    std::function<std::vector<HandedSocket>()> sockets;      // every listening socket, now
    // READY came from the new process (its pid, from SO_PEERCRED): stop accepting, drain.
    std::function<std::string(pid_t)> hand_over;
  };
  UpgradeListener(asio::io_context& loop, Hooks hooks);
  ~UpgradeListener();
  UpgradeListener(const UpgradeListener&) = delete;
  UpgradeListener& operator=(const UpgradeListener&) = delete;

  // Binds `path` (a stale socket file nobody answers on is replaced; one a live process
  // answers on is an error) and accepts upgrade requests.
  bool start(const std::string& path, std::string& error);
  // Closes the listener; removes the socket file unless `keep_file` (after a handover it is the
  // new process's).
  void stop(bool keep_file);
  const std::string& path() const { return path_; }

 private:
  void accept_next();
  void serve(std::shared_ptr<asio::posix::stream_descriptor> peer);
  void wait_ready(std::shared_ptr<asio::posix::stream_descriptor> peer, pid_t peer_pid);

  asio::io_context& loop_;
  Hooks hooks_;
  std::optional<asio::posix::stream_descriptor> acceptor_;  // a listening UNIX socket: only waited on
  std::string path_;
  bool busy_ = false;  // one upgrade at a time
};

// The new process's side: blocking, before the control loop runs.
class UpgradeClient {
 public:
  UpgradeClient() = default;
  ~UpgradeClient();  // closing without hand_over() tells the old process to keep serving
  UpgradeClient(const UpgradeClient&) = delete;
  UpgradeClient& operator=(const UpgradeClient&) = delete;

  // Connects to the old process at `path` and receives its sockets into `into`.
  bool receive(const std::string& path, InheritedSockets& into, std::string& error);
  // Says READY; `answer` is the old process's DRAINING line.
  bool hand_over(std::string& answer, std::string& error);

 private:
  int fd_ = -1;
};

}  // namespace fulcrum::runtime
