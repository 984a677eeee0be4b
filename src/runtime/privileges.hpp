#pragma once
// Running as root only as long as needed. Started as root with `user:` in the file (by a
// supervisor other than systemd, which switches users itself: User= in the unit), Fulcrum
// binds its listeners, opens its log files and reads its certificates, and then, before any
// other thread exists, becomes that user for good:
//
//   - PR_SET_KEEPCAPS around setresuid() keeps the permitted set across the switch; then
//     capset() leaves CAP_NET_BIND_SERVICE alone in it, so a reload can still bind a port
//     below 1024, and nothing else (no CAP_DAC_OVERRIDE: files are read as the user).
//   - Every other capability leaves the bounding set too, so no later execve() (a setuid
//     binary) brings one back; CAP_NET_BIND_SERVICE is raised in the ambient set so that the
//     successor of a hot upgrade, started by this process, can bind new ports as well.
//   - Real, effective and saved ids all change (setresuid/setresgid), so there is no way back
//     to root; switch_user() checks that by trying.
//
// Doing it while the process has one thread matters: the kernel keeps credentials per thread.
// glibc's setresuid() does reach every thread (it signals each one to make the call), but
// capset() and the KEEPCAPS flag are per thread. Threads created afterwards (workers, the DNS
// thread) copy the switched thread's credentials. Workers then drop even CAP_NET_BIND_SERVICE
// (drop_thread_capabilities): they never bind, and they parse what the internet sends.
#include <sys/types.h>

#include <optional>
#include <string>

namespace fulcrum::runtime {

struct RunAs {
  std::string user;
  std::string group;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks up `user` and `group` ("" = the user's primary group); nullopt with `error` when one
// does not exist on this host.
std::optional<RunAs> resolve_run_as(const std::string& user, const std::string& group, std::string& error);

// As root, while this is the process's only thread: becomes `who` and keeps only
// CAP_NET_BIND_SERVICE (above). False with `error` when a step fails; the caller must stop then.
bool switch_user(const RunAs& who, std::string& error);

// Empties the calling thread's capability sets (a worker thread's first act once the process
// runs as an unprivileged user).
void drop_thread_capabilities();

// The calling thread's credentials for the log: "uid=65534(nobody) gid=65534(nogroup)
// capabilities=cap_net_bind_service" (none when empty, else the effective mask in hex).
std::string describe_credentials();

// The number of threads of this process (/proc/self/task).
int thread_count();

}  // namespace fulcrum::runtime
