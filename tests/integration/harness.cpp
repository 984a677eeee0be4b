#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

extern char** environ;

namespace fulcrum::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The last lines of a long log: a sanitizer report ends with what matters.
std::string tail_of(const std::string& text, size_t limit = 6000) {
  return text.size() <= limit ? text : "...\n" + text.substr(text.size() - limit);
}

}  // namespace

TempDir::TempDir() {
  char pattern[] = "/tmp/fulcrum-test-XXXXXX";
  path_ = ::mkdtemp(pattern);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string path = path_ + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

Process::Process(std::vector<std::string> argv, const std::string& log_dir, const std::string& label,
                 std::vector<std::string> environment)
    : label_(label) {
  static int counter = 0;
  std::string base = log_dir + "/" + label + "-" + std::to_string(++counter);
  stdout_path_ = base + ".out";
  stderr_path_ = base + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  std::vector<char*> env;
  for (auto& entry : environment) env.push_back(entry.data());
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view name(*entry, std::strcspn(*entry, "="));
    const bool replaced = std::any_of(environment.begin(), environment.end(), [&](const std::string& e) {
      return e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=';
    });
    if (!replaced) env.push_back(*entry);
  }
  env.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(rc);
    pid_ = -1;
  }
}

Process::~Process() {
  if (pid_ > 0 && !exited_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_ && !signalled_) {
      // It ended on its own while the test still relied on it: a crash or a sanitizer stop,
      // which the test's own checks would only see as refused connections.
      ADD_FAILURE() << label_ << " exited on its own ("
                    << (WIFEXITED(status) ? "code " + std::to_string(WEXITSTATUS(status))
                                          : "signal " + std::to_string(WTERMSIG(status)))
                    << "); its stderr:\n" << tail_of(errors());
    } else {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  // A sanitizer report is a bug even when every check of the test passed.
  std::string err = errors();
  for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
    if (err.find(marker) != std::string::npos) {
      ADD_FAILURE() << label_ << " reported \"" << marker << "\"; its stderr:\n" << tail_of(err);
      break;
    }
  }
}

void Process::signal(int signo) {
  if (pid_ > 0 && !exited_) {
    if (signo != SIGHUP && signo != SIGUSR1) signalled_ = true;  // reload, reopen: it lives on
    ::kill(pid_, signo);
  }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && !exited_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

bool Process::running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    return false;
  }
  return true;
}

std::string Process::output() const { return slurp(stdout_path_); }
std::string Process::errors() const { return slurp(stderr_path_); }

bool Process::wait_for_output(const std::string& text, std::chrono::milliseconds timeout, bool in_stderr) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string content = in_stderr ? errors() : output();
    if (content.find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

namespace {

// Holds `port` for this test process: ctest runs tests two at a time, each in its own process,
// and the kernel may hand the same port 0 to both before either binds it. Fulcrum listens with
// SO_REUSEPORT, so it would refuse the second (which is right for users, and a flaky test here).
// The lock file stays open until the process exits, which releases it.
bool reserve_across_processes(uint16_t port, int type) {
  static const std::string dir = "/tmp/fulcrum-test-ports";
  ::mkdir(dir.c_str(), 0777);
  const std::string path = dir + (type == SOCK_DGRAM ? "/udp-" : "/tcp-") + std::to_string(port);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // no lock directory: fall back to the kernel's choice alone
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;  // another test process holds it
  }
  return true;  // fd stays open (and locked) for the life of this process
}

// The lowest port the kernel gives outgoing connections (ip_local_port_range).
uint16_t ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0;
  return range >> low && low > 12000 && low <= 65535 ? static_cast<uint16_t>(low) : uint16_t{32768};
}

}  // namespace

uint16_t free_port(int type) {
  // A port below the kernel's ephemeral range: no outgoing connection (curl, h2load, Fulcrum
  // toward its targets, in this test or another) can take it between this check and the
  // test's bind, as one could take a port the kernel handed out for port 0. It is checked free
  // on every address (a wildcard listener conflicts with any of them), and the lock keeps
  // parallel test processes from choosing the same one.
  static const uint16_t high = ephemeral_low();
  static thread_local std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  constexpr uint16_t kLow = 10000;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const uint16_t port = static_cast<uint16_t>(kLow + random() % (high - kLow));
    const int fd = ::socket(AF_INET, type, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons(port);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (bound && reserve_across_processes(port, type)) return port;
  }
  ADD_FAILURE() << "no free port below " << high;
  return 0;
}

std::string build_path(const std::string& name) { return std::string(FULCRUM_BUILD_DIR) + "/" + name; }
// FULCRUM_TEST_BINARY runs the suite against another build of fulcrum (e.g. the sanitized one)
// without rebuilding the tests there.
CommandResult run_captured(std::vector<std::string> argv, const std::string& stdin_path, bool merge_stderr) {
  CommandResult result;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  if (merge_stderr) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(rc);
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

std::string fulcrum_binary() {
  const char* other = std::getenv("FULCRUM_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : FULCRUM_BINARY;
}

Backend::Backend(const TempDir& dir, const std::string& name, const std::string& mode, bool expect_proxy,
                 std::vector<std::string> extra, uint16_t fixed_port)
    : port(fixed_port != 0 ? fixed_port : free_port()),
      process(
          [&] {
            std::vector<std::string> argv{build_path("test_backend"), "--listen", "127.0.0.1:" + std::to_string(port),
                                          "--name", name, "--mode", mode};
            if (expect_proxy) argv.push_back("--expect-proxy");
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
          }(),
          dir.path(), "backend-" + name) {
  EXPECT_TRUE(process.wait_for_output("listening")) << "backend " << name << " did not start: " << process.errors();
}

std::unique_ptr<Process> start_fulcrum(const TempDir& dir, const std::string& yaml, uint16_t port,
                                       std::vector<std::string> extra_args, std::vector<std::string> environment) {
  std::string config = dir.write("fulcrum.yaml", yaml);
  std::vector<std::string> argv{fulcrum_binary(), "run", "-c", config};
  const bool admin_in_file = yaml.starts_with("admin:") || yaml.find("\nadmin:") != std::string::npos;
  const bool admin_in_args = std::find(extra_args.begin(), extra_args.end(), "--admin-listen") != extra_args.end();
  if (!admin_in_file && !admin_in_args) {
    argv.push_back("--admin-listen");
    argv.push_back("127.0.0.1:0");
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto process = std::make_unique<Process>(argv, dir.path(), "fulcrum", std::move(environment));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!can_connect(port)) {
    if (!process->running() || std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << "fulcrum did not start listening on " << port << ":\n" << process->errors();
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  return process;
}

int connect_to(uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ADD_FAILURE() << "connect to " << port << ": " << std::strerror(errno);
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int try_connect_from(const std::string& source_ip, uint16_t port, int type) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  inet_pton(AF_INET, source_ip.c_str(), &source.sin_addr);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_from(const std::string& source_ip, uint16_t port) {
  int fd = try_connect_from(source_ip, port);
  if (fd < 0) ADD_FAILURE() << "connect from " << source_ip << ": " << std::strerror(errno);
  return fd;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

bool wait_for_count(const Process& process, const std::string& text, size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string out = process.output();
    // A reader may see the start of a write that is still being copied in: a line counts once
    // its newline is there.
    const size_t last_newline = out.rfind('\n');
    const size_t complete = last_newline == std::string::npos ? 0 : last_newline + 1;
    size_t n = 0;
    for (size_t at = out.find(text); at != std::string::npos && at + text.size() <= complete && n < count;
         at = out.find(text, at + text.size())) {
      ++n;
    }
    if (n >= count) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

bool can_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

bool send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      // A peer that closed or reset first is something the test checks by what it reads next
      // (many tests expect exactly that: a refused client, a failed target), and how far the
      // send got before the reset came back is a race. Any other error is the test's own.
      if (errno != ECONNRESET && errno != EPIPE) ADD_FAILURE() << "send: " << std::strerror(errno);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

namespace {
// Waits for readability; false on timeout.
bool wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}
}  // namespace

std::string read_to_eof(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[65536];
  while (wait_readable(fd, deadline)) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

std::string read_exact(int fd, size_t size, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<char> buffer(65536);
  while (out.size() < size && wait_readable(fd, deadline)) {
    ssize_t n = ::recv(fd, buffer.data(), std::min(buffer.size(), size - out.size()), 0);
    if (n <= 0) break;
    out.append(buffer.data(), static_cast<size_t>(n));
  }
  return out;
}

std::string read_line(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char c;
  while (wait_readable(fd, deadline)) {
    if (::recv(fd, &c, 1, 0) != 1) break;
    out += c;
    if (c == '\n') break;
  }
  return out;
}

bool closed_within(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (wait_readable(fd, deadline)) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return true;
  }
  return false;
}

uint16_t local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

}  // namespace fulcrum::testing

namespace fulcrum::testing {

std::string admin_address(const Process& fulcrum, std::chrono::milliseconds timeout) {
  constexpr std::string_view kMarker = "admin.start listen=";
  if (!fulcrum.wait_for_output(std::string(kMarker), timeout, true)) return {};
  const std::string log = fulcrum.errors();
  const size_t at = log.find(kMarker) + kMarker.size();
  const size_t end = log.find_first_of(" \n", at);
  return log.substr(at, end - at);
}

UdpClient::UdpClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
}

UdpClient::~UdpClient() { ::close(fd_); }

std::string UdpClient::ask(const std::string& payload, std::chrono::milliseconds timeout) {
  ::send(fd_, payload.data(), payload.size(), 0);
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
  char buffer[2048];
  ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

bool UdpClient::last_reply_from(uint16_t port) {
  sockaddr_in peer{};
  socklen_t length = sizeof peer;
  ::getpeername(fd_, reinterpret_cast<sockaddr*>(&peer), &length);
  return ntohs(peer.sin_port) == port;
}

}  // namespace fulcrum::testing
