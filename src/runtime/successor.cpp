#include "runtime/successor.hpp"

#include <spawn.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

extern char** environ;

namespace fulcrum::runtime {

std::string own_executable() {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return {};
  std::string text(path, static_cast<size_t>(n));
  constexpr std::string_view kDeleted = " (deleted)";
  if (text.ends_with(kDeleted)) text.resize(text.size() - kDeleted.size());
  return text;
}

pid_t spawn_successor(const std::string& executable, const std::vector<std::string>& arguments,
                      const std::string& upgrade_socket, std::string& error) {
  std::vector<std::string> argv{executable};
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& arg = arguments[i];
    if (arg == "--upgrade") continue;
    if (arg == "--upgrade-socket") {
      ++i;  // and its value
      continue;
    }
    if (arg.starts_with("--upgrade-socket=")) continue;
    argv.push_back(arg);
  }
  argv.insert(argv.end(), {"--upgrade", "--upgrade-socket", upgrade_socket});

  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "WATCHDOG_PID=", 13) != 0) env.push_back(*entry);
  }
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Only stdin, stdout and stderr: every other descriptor (listening sockets, connections) is
  // this process's; the successor receives the listening ones over the upgrade socket.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, executable.c_str(), &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "cannot start " + executable + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

}  // namespace fulcrum::runtime
