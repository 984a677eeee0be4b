// A TCP load generator for bench/tcp.sh: measures what the TCP benchmarks need and nothing else.
//
//   tcp_load --port P --mode upload|download|connect [--connections C] [--seconds S]
//
//   upload    C connections send 64 KiB writes for S seconds (to a sink backend): MB/s
//   download  C connections read for S seconds (from a source backend): MB/s
//   connect   C loops of connect, read one line, close (to a name-once backend): connections/s
// Prints one line: "mode=... rate=... unit=... errors=...".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

int open_connection(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // Bounded: a proxy that stalls a connection costs this loop 2 s and an error, never a hang.
  timeval limit{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 0;
  std::string mode = "connect";
  int connections = 8;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--port") port = static_cast<uint16_t>(std::stoi(argv[i + 1]));
    else if (arg == "--mode") mode = argv[i + 1];
    else if (arg == "--connections") connections = std::stoi(argv[i + 1]);
    else if (arg == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  if (port == 0) {
    std::fprintf(stderr, "usage: tcp_load --port P --mode upload|download|connect [--connections C] [--seconds S]\n");
    return 2;
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> total{0};
  std::atomic<uint64_t> errors{0};
  std::vector<std::thread> threads;
  auto started = std::chrono::steady_clock::now();
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      std::vector<char> buffer(64 * 1024, 'x');
      uint64_t mine = 0;
      if (mode == "connect") {
        while (!stop.load(std::memory_order_relaxed)) {
          int fd = open_connection(port);
          if (fd < 0) {
            errors++;
            continue;
          }
          ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
          if (n > 0) ++mine; else errors++;
          ::close(fd);
        }
      } else {
        int fd = open_connection(port);
        if (fd < 0) {
          errors++;
          return;
        }
        while (!stop.load(std::memory_order_relaxed)) {
          ssize_t n = mode == "upload" ? ::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL)
                                       : ::recv(fd, buffer.data(), buffer.size(), 0);
          if (n <= 0) {
            errors++;
            break;
          }
          mine += static_cast<uint64_t>(n);
        }
        ::close(fd);
      }
      total += mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (auto& t : threads) t.join();
  if (mode == "connect") {
    std::printf("mode=%s rate=%.0f unit=conn/s errors=%llu\n", mode.c_str(), total / elapsed,
                static_cast<unsigned long long>(errors.load()));
  } else {
    std::printf("mode=%s rate=%.1f unit=MB/s errors=%llu\n", mode.c_str(), total / elapsed / 1e6,
                static_cast<unsigned long long>(errors.load()));
  }
  return 0;
}
