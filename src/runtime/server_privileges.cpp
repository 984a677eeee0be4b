// Server: who the process runs as, and what that user can read.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/referenced_files.hpp"
#include "core/log.hpp"
#include "runtime/server.hpp"

namespace fulcrum::runtime {
namespace {

// The upgrade socket is created after the switch, by the user: its directory must let it.
// A directory that does not exist yet (/run/fulcrum) is made for the user; one that exists is
// the operator's and left alone (listen_for_upgrade says so if the user cannot write there).
void prepare_upgrade_directory(const std::string& socket_path, const RunAs& who) {
  if (socket_path.empty()) return;
  const std::string directory = std::filesystem::path(socket_path).parent_path().string();
  if (directory.empty() || ::mkdir(directory.c_str(), 0750) != 0) return;
  if (::chown(directory.c_str(), who.uid, who.gid) != 0) {
    core::LogLine(core::LogLevel::warn, "privileges.chown_failed").field("path", directory).field("error", std::strerror(errno)).emit();
  }
}

}  // namespace

bool Server::settle_privileges(std::string& error) {
  const bool root = ::geteuid() == 0;
  if (config_->user.empty()) {
    if (root) {
      core::LogLine(core::LogLevel::warn, "privileges.root")
          .field("why", "running as root while parsing traffic from the network: set user: in the file, or User= "
                        "in the systemd unit")
          .emit();
    }
    return true;
  }
  std::string why;
  auto who = resolve_run_as(config_->user, config_->group, why);
  if (!who) {
    error = why;
    return false;
  }
  if (who->uid == 0) {
    core::LogLine(core::LogLevel::warn, "privileges.root")
        .field("why", "user: " + config_->user + " is root: the process keeps every privilege")
        .emit();
    return true;
  }
  if (!root) {
    // Under systemd (User=) or a hot upgrade's successor, the switch happened before this process.
    if (::geteuid() == who->uid) {
      core::LogLine(core::LogLevel::info, "privileges.user").field("credentials", describe_credentials()).emit();
    } else {
      core::LogLine(core::LogLevel::warn, "privileges.user_ignored")
          .field("user", config_->user)
          .field("why", "user: applies when Fulcrum starts as root; it runs as " + describe_credentials())
          .emit();
    }
    return true;
  }
  if (options_.log_files != nullptr) {
    if (std::string problems = options_.log_files->give_to(who->uid); !problems.empty()) {
      core::LogLine(core::LogLevel::warn, "privileges.chown_failed").field("error", problems).emit();
    }
  }
  prepare_upgrade_directory(options_.upgrade_socket, *who);
  if (!switch_user(*who, error)) return false;
  core::LogLine(core::LogLevel::info, "privileges.switched")
      .field("user", who->user)
      .field("group", who->group)
      .field("credentials", describe_credentials())
      .emit();
  // Read as root just now, but a reload (or a certificate change) reads them as the user.
  if (std::string unreadable = unreadable_files(*config_); !unreadable.empty()) {
    core::LogLine(core::LogLevel::warn, "privileges.unreadable_files")
        .field("files", unreadable)
        .field("why", "read as root at start; reloads will fail until user '" + who->user + "' can read them")
        .emit();
  }
  return true;
}

std::string Server::unreadable_files(const config::Config& config) const {
  std::string out;
  for (const auto& file : config::referenced_files(config)) {
    if (::access(file.path.c_str(), R_OK) == 0) continue;
    out += (out.empty() ? "" : "; ") + file.where + " " + file.path + ": " + std::strerror(errno);
  }
  if (!out.empty() && ::geteuid() != 0) out += " (Fulcrum runs as " + describe_credentials() + ")";
  return out;
}

}  // namespace fulcrum::runtime
