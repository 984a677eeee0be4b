// Opens N keep-alive HTTP client connections, sends one request on each and reads its answer,
// then keeps them all open and idle: what bench/idle_mem.sh measures a proxy's memory against.
//
//   idle_clients --port P --count N [--hold-seconds S] [--burst 1]
// Prints "ready N" once every connection has had its answer, then holds them for S seconds
// (default 30) or until killed. By default each connection sends its request and has its
// answer before the next opens; with --burst 1 all N connect first, then all send at once and
// wait for their answers together: the proxy holds N requests in flight at one moment.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  int port = 0, count = 1000, hold = 30, burst = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--port") port = std::atoi(argv[i + 1]);
    else if (arg == "--count") count = std::atoi(argv[i + 1]);
    else if (arg == "--hold-seconds") hold = std::atoi(argv[i + 1]);
    else if (arg == "--burst") burst = std::atoi(argv[i + 1]);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
  std::vector<int> fds;
  char buffer[4096];
  auto fail = [](const char* what, int i) {
    std::fprintf(stderr, "idle_clients: %s on connection %d: %s\n", what, i, std::strerror(errno));
    return 1;
  };
  if (burst == 0) {
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
          ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
        return fail("connect or send", i);
      }
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0 || ::recv(fd, buffer, sizeof buffer, 0) <= 0) return fail("no answer", i);
      fds.push_back(fd);
    }
  } else {
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return fail("connect", i);
      fds.push_back(fd);
    }
    for (int i = 0; i < count; ++i) {
      if (::send(fds[static_cast<size_t>(i)], request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
        return fail("send", i);
      }
    }
    std::vector<pollfd> waiting;
    for (int fd : fds) waiting.push_back({fd, POLLIN, 0});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!waiting.empty()) {
      if (std::chrono::steady_clock::now() > deadline || ::poll(waiting.data(), waiting.size(), 5000) <= 0) {
        std::fprintf(stderr, "idle_clients: %zu connections without an answer\n", waiting.size());
        return 1;
      }
      std::erase_if(waiting, [&](const pollfd& p) {
        if (p.revents == 0) return false;
        return ::recv(p.fd, buffer, sizeof buffer, 0) > 0;  // answered; an error keeps it waiting until the deadline
      });
    }
  }
  std::printf("ready %d\n", count);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(hold));
  for (int fd : fds) ::close(fd);
}
