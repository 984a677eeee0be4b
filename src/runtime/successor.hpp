#pragma once
// The hot upgrade started from inside the service (SIGUSR2, nginx's signal for "run the new
// binary"): this process starts `fulcrum run --upgrade` itself, from the path it was started
// from (where a package upgrade put the new binary), with its own arguments. Being this
// process's child, the successor is in the same systemd unit (cgroup) and inherits
// $NOTIFY_SOCKET and the journal streams; when it says READY over the upgrade socket, this
// process sends MAINPID= for it and drains. The rest is the ordinary hot upgrade
// (upgrade_channel.hpp): if the successor fails, it exits and this process serves on.
#include <sys/types.h>

#include <string>
#include <vector>

namespace fulcrum::runtime {

// The binary this process runs, by path (/proc/self/exe, without " (deleted)" when a package
// upgrade replaced the file since): the successor runs what is there now.
std::string own_executable();

// `arguments` without argv[0]: the command line this process was started with. The successor
// gets them with --upgrade and --upgrade-socket PATH (this process's socket) in place of any
// given before. $WATCHDOG_PID is left out of its environment: it names this process, and the
// successor pings for the service once it is the main process. Returns the pid, or -1 with
// `error`.
pid_t spawn_successor(const std::string& executable, const std::vector<std::string>& arguments,
                      const std::string& upgrade_socket, std::string& error);

}  // namespace fulcrum::runtime
