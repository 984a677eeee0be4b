#include "http_harness.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

extern char** environ;

namespace fulcrum::testing {

HttpBackend::HttpBackend(const TempDir& dir, const std::string& name, std::vector<std::string> extra)
    : port(free_port()),
      process(
          [&] {
            std::vector<std::string> argv{build_path("http_backend"), "--listen",
                                          "127.0.0.1:" + std::to_string(port), "--name", name};
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
          }(),
          dir.path(), "http-backend-" + name) {
  EXPECT_TRUE(process.wait_for_output("listening")) << "backend " << name << " did not start: " << process.errors();
}

size_t HttpBackend::count(const std::string& prefix) const {
  std::istringstream lines(process.output());
  size_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

CurlResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s"};
  bool has_time = false;
  for (const auto& a : args) has_time = has_time || a == "--max-time" || a == "-m";
  if (!has_time) {
    argv.push_back("--max-time");
    argv.push_back("20");
  }
  argv.insert(argv.end(), args.begin(), args.end());
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  CurlResult result;
  if (rc != 0) {
    ::close(pipe_fds[0]);
    ADD_FAILURE() << "cannot run curl";
    return result;
  }
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) result.out.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string raw_exchange(uint16_t port, const std::string& request, std::chrono::milliseconds timeout) {
  int fd = connect_to(port);
  if (fd < 0) return {};
  send_all(fd, request);
  std::string response = read_to_eof(fd, timeout);
  ::close(fd);
  return response;
}

int status_of(const std::string& response) {
  if (response.size() < 12 || response.rfind("HTTP/1.", 0) != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace fulcrum::testing
