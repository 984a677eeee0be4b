#include "core/log_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::core {
namespace {

// 0640: access logs hold client addresses and URLs; the group (adm on Debian) may read them.
int open_append(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) error = path + ": " + std::strerror(errno);
  return fd;
}

}  // namespace

LogFiles::~LogFiles() {
  for (const auto& file : files_) {
    if (file.fd > 2) ::close(file.fd);
  }
}

int LogFiles::open_access_log(const std::string& path, std::string& error) {
  int fd = open_append(path, error);
  if (fd >= 0) files_.push_back({"access", path, fd});
  return fd;
}

bool LogFiles::open_error_log(const std::string& path, std::string& error) {
  int fd = open_append(path, error);
  if (fd < 0) return false;
  if (::dup2(fd, 2) < 0) {
    error = path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  ::close(fd);
  files_.push_back({"error", path, 2});
  return true;
}

std::string LogFiles::reopen() {
  std::string problems;
  for (const auto& file : files_) {
    std::string error;
    int fd = open_append(file.path, error);
    if (fd < 0) {
      problems += (problems.empty() ? "" : "; ") + error;
      continue;
    }
    // dup3 keeps close-on-exec on the access log; stderr stays inheritable as it always is.
    const int flags = file.fd == 2 ? 0 : O_CLOEXEC;
    if (::dup3(fd, file.fd, flags) < 0) problems += (problems.empty() ? "" : "; ") + file.path + ": " + std::strerror(errno);
    ::close(fd);
  }
  return problems;
}

std::string LogFiles::give_to(uid_t uid) {
  std::string problems;
  for (const auto& file : files_) {
    if (::fchown(file.fd, uid, static_cast<gid_t>(-1)) != 0) {
      problems += (problems.empty() ? "" : "; ") + file.path + ": " + std::strerror(errno);
    }
  }
  return problems;
}

std::string LogFiles::describe() const {
  std::string out;
  for (const auto& file : files_) out += (out.empty() ? "" : " ") + file.role + "=" + file.path;
  return out;
}

}  // namespace fulcrum::core
