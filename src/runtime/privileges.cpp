#include "runtime/privileges.hpp"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/errno_text.hpp"

namespace fulcrum::runtime {
namespace {

// glibc has no wrapper for capget/capset; libcap would be a dependency for two system calls.
struct CapabilitySets {
  uint64_t effective = 0, permitted = 0, inheritable = 0;
};

bool capset_self(const CapabilitySets& sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0].effective = static_cast<uint32_t>(sets.effective);
  data[1].effective = static_cast<uint32_t>(sets.effective >> 32);
  data[0].permitted = static_cast<uint32_t>(sets.permitted);
  data[1].permitted = static_cast<uint32_t>(sets.permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(sets.inheritable);
  data[1].inheritable = static_cast<uint32_t>(sets.inheritable >> 32);
  return ::syscall(SYS_capset, &header, data) == 0;
}

CapabilitySets capget_self() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  CapabilitySets sets;
  if (::syscall(SYS_capget, &header, data) != 0) return sets;
  sets.effective = data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  sets.permitted = data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
  sets.inheritable = data[0].inheritable | (static_cast<uint64_t>(data[1].inheritable) << 32);
  return sets;
}

int last_capability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  if (in >> last) return last;
  return CAP_LAST_CAP;
}

constexpr uint64_t kBindService = uint64_t{1} << CAP_NET_BIND_SERVICE;

}  // namespace

std::optional<RunAs> resolve_run_as(const std::string& user, const std::string& group_name, std::string& error) {
  RunAs who;
  who.user = user;
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found_user = nullptr;
  int rc = ::getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found_user);
  if (found_user == nullptr) {
    error = "user: '" + user + "' " +
            (rc != 0 ? std::string("cannot be looked up: ") + std::strerror(rc) : std::string("does not exist on this host"));
    return std::nullopt;
  }
  who.uid = pw.pw_uid;
  who.gid = pw.pw_gid;
  group entry{};
  group* found_group = nullptr;
  std::vector<char> group_buffer(16384);
  if (group_name.empty()) {  // the user's primary group
    rc = ::getgrgid_r(who.gid, &entry, group_buffer.data(), group_buffer.size(), &found_group);
    who.group = found_group != nullptr ? std::string(found_group->gr_name) : std::to_string(who.gid);
    return who;
  }
  rc = ::getgrnam_r(group_name.c_str(), &entry, group_buffer.data(), group_buffer.size(), &found_group);
  if (found_group == nullptr) {
    error = "group: '" + group_name + "' " +
            (rc != 0 ? std::string("cannot be looked up: ") + std::strerror(rc) : std::string("does not exist on this host"));
    return std::nullopt;
  }
  who.gid = found_group->gr_gid;
  who.group = group_name;
  return who;
}

int thread_count() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

bool switch_user(const RunAs& who, std::string& error) {
  if (const int threads = thread_count(); threads != 1) {
    // A bug, not a configuration problem: the other threads would keep root's capabilities.
    error = "cannot switch to user '" + who.user + "' safely: the process already runs " + std::to_string(threads) +
            " threads";
    return false;
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
    error = core::errno_text("prctl(PR_SET_KEEPCAPS)");
    return false;
  }
  // Needs CAP_SETPCAP, which root has; a container that took it away keeps a wider bounding
  // set, which the empty permitted set below makes harmless for this process.
  for (int cap = 0; cap <= last_capability(); ++cap) {
    if (cap != CAP_NET_BIND_SERVICE && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) break;
  }
  // Supplementary groups as the user's own (a key readable by group ssl-cert stays readable).
  if (::initgroups(who.user.c_str(), who.gid) != 0) {
    error = core::errno_text("initgroups");
    return false;
  }
  if (::setresgid(who.gid, who.gid, who.gid) != 0) {
    error = core::errno_text("setresgid");
    return false;
  }
  if (::setresuid(who.uid, who.uid, who.uid) != 0) {
    error = core::errno_text("setresuid");
    return false;
  }
  if (!capset_self({kBindService, kBindService, kBindService})) {
    error = core::errno_text("capset");
    return false;
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0) {
    error = core::errno_text("prctl(PR_CAP_AMBIENT_RAISE)");
    return false;
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  // Paranoia, as OpenSSH does it: the way back must be closed.
  if (who.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    error = "still able to become root after switching to '" + who.user + "'";
    return false;
  }
  uid_t real, effective, saved;
  ::getresuid(&real, &effective, &saved);
  if (real != who.uid || effective != who.uid || saved != who.uid) {
    error = "the user ids did not all change to " + std::to_string(who.uid);
    return false;
  }
  return true;
}

void drop_thread_capabilities() {
  capset_self({});
}

std::string describe_credentials() {
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  std::string out = "uid=" + std::to_string(uid);
  if (passwd* pw = ::getpwuid(uid)) out += std::string("(") + pw->pw_name + ")";
  out += " gid=" + std::to_string(gid);
  if (group* g = ::getgrgid(gid)) out += std::string("(") + g->gr_name + ")";
  const CapabilitySets sets = capget_self();
  out += " capabilities=";
  if (sets.effective == 0) {
    out += "none";
  } else if (sets.effective == kBindService) {
    out += "cap_net_bind_service";
  } else {
    char hex[24];
    std::snprintf(hex, sizeof hex, "%#llx", static_cast<unsigned long long>(sets.effective));
    out += hex;
  }
  return out;
}

}  // namespace fulcrum::runtime
