#pragma once
// What integration tests need to run the real thing: start the real `fulcrum` binary and real
// backend processes on 127.0.0.1, talk to them over real sockets, and read their output.
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fulcrum::testing {

using namespace std::chrono_literals;

// A fresh directory under /tmp removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// A child process whose stdout and stderr go to files the test can read.
class Process {
 public:
  // `environment`: NAME=VALUE entries added to (or replacing those of) this process's environment.
  Process(std::vector<std::string> argv, const std::string& log_dir, const std::string& label,
          std::vector<std::string> environment = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  // Signalling marks the exit that follows as expected (not SIGHUP and SIGUSR1: reload and
  // reopen, after which the process is meant to live on).
  void signal(int signo);
  // Waits for exit; returns the exit code, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  std::string output() const;  // stdout so far
  std::string errors() const;  // stderr so far
  // Waits until stdout (or stderr) contains `text`.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout = 5s, bool in_stderr = false) const;

 private:
  std::string label_;
  int pid_ = -1;
  bool exited_ = false;
  bool signalled_ = false;
  std::string stdout_path_;
  std::string stderr_path_;
};

// A free port below the kernel's ephemeral range (no outgoing connection can take it), locked
// against other test processes: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP).
uint16_t free_port(int type = SOCK_STREAM);
std::string build_path(const std::string& name);  // a program built beside fulcrum
std::string fulcrum_binary();

// A program run to its end with its output captured (curl, openssl).
struct CommandResult {
  int exit_code = -1;  // -1: it could not start, or a signal ended it
  std::string out;     // stdout (and stderr when merged)
};
// Runs argv (no shell; argv[0] a path) with `stdin_path` on its stdin and waits for it.
CommandResult run_captured(std::vector<std::string> argv, const std::string& stdin_path, bool merge_stderr);

// A test backend (tests/support/test_backend.cpp) on a free port.
struct Backend {
  // port 0: a free port.
  Backend(const TempDir& dir, const std::string& name, const std::string& mode, bool expect_proxy = false,
          std::vector<std::string> extra = {}, uint16_t port = 0);
  uint16_t port;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  Process process;
};

// Starts `fulcrum run -c CONFIG` and waits until `port` accepts connections. Unless the YAML
// has an admin: section or the arguments say --admin-listen, the admin API listens on a free
// port (--admin-listen 127.0.0.1:0), so tests running at the same time never meet on 9090.
std::unique_ptr<Process> start_fulcrum(const TempDir& dir, const std::string& yaml, uint16_t port,
                                       std::vector<std::string> extra_args = {},
                                       std::vector<std::string> environment = {});
// The admin API's HOST:PORT, read from fulcrum's "admin.start listen=..." log line ("" when it
// does not come within the timeout).
std::string admin_address(const Process& fulcrum, std::chrono::milliseconds timeout = 5s);


// Blocking client socket helpers with timeouts; all fail the current test on error.
int connect_to(uint16_t port, std::chrono::milliseconds timeout = 2s);
// Connects from a chosen loopback source address (127.0.0.0/8 is all ours).
int connect_from(const std::string& source_ip, uint16_t port);
// The same without failing the test: -1 when even the handshake failed (refusals are answers).
// SOCK_DGRAM: a UDP socket from source_ip, connected to 127.0.0.1:port (one flow).
int try_connect_from(const std::string& source_ip, uint16_t port, int type = SOCK_STREAM);
bool can_connect(uint16_t port);
// False when the peer closed or reset the connection first (not a test failure by itself).
bool send_all(int fd, const std::string& data);
// Reads until EOF or timeout; returns what arrived.
std::string read_to_eof(int fd, std::chrono::milliseconds timeout = 5s);
// Reads exactly n bytes or until timeout/EOF.
std::string read_exact(int fd, size_t n, std::chrono::milliseconds timeout = 5s);
std::string read_line(int fd, std::chrono::milliseconds timeout = 5s);
// True when the peer closed (EOF or reset) within the timeout.
bool closed_within(int fd, std::chrono::milliseconds timeout);
// How many times `needle` occurs in `text` (overlapping ones too): lines of a log, say.
int count_of(const std::string& text, const std::string& needle);
// Waits until the complete lines of `process`'s stdout (up to its last newline) hold at least
// `count` occurrences of `text` (non-overlapping); false after the timeout. Fulcrum's access log
// is its stdout by default, and a writer thread writes those lines some time after the client
// had its answer (src/core/access_log_writer.hpp): a check of the log waits for the lines of
// everything the test did before it asserts, which also keeps a check of absence from passing
// only because the line that would fail it was not written yet.
bool wait_for_count(const Process& process, const std::string& text, size_t count,
                    std::chrono::milliseconds timeout = 5s);
uint16_t local_port(int fd);

// A UDP client socket connected to 127.0.0.1:port: one client address:port, hence one flow.
class UdpClient {
 public:
  explicit UdpClient(uint16_t port);
  ~UdpClient();
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;
  // Sends `payload` and returns the reply, or "" after the timeout.
  std::string ask(const std::string& payload, std::chrono::milliseconds timeout = 1000ms);
  // Replies come from the listener's address and port (what the client sent to).
  bool last_reply_from(uint16_t port);

 private:
  int fd_;
};

}  // namespace fulcrum::testing
