// A UDP load generator for bench/udp.sh: request/reply datagrams through a proxy to an echo
// backend, measuring replies per second.
//
//   udp_load --port P [--flows F] [--window W] [--size B] [--seconds S]
//
// F client sockets (flows), each keeping W datagrams in flight: every reply sends one more.
// A flow that heard nothing for 200 ms refills its window (datagrams dropped under overload
// are counted as lost, not waited for). Prints one line:
//   "rate=R unit=datagrams/s replies=N sent=M refills=L".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  uint16_t port = 0;
  int flows = 16, window = 8, size = 64;
  double seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--port") port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (flag == "--flows") flows = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--window") window = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--size") size = std::clamp(std::atoi(argv[i + 1]), 1, 1400);
    else if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<int> sockets;
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> last_heard(static_cast<size_t>(flows), Clock::now());
  std::string payload(static_cast<size_t>(size), 'u');
  uint64_t sent = 0, replies = 0, refills = 0;
  for (int f = 0; f < flows; ++f) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    epoll_event event{EPOLLIN, {.u32 = static_cast<uint32_t>(f)}};
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    sockets.push_back(fd);
  }
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int f = 0; f < flows; ++f) {
    for (int w = 0; w < window; ++w) sent += ::send(sockets[f], payload.data(), payload.size(), 0) > 0;
  }
  char buffer[2048];
  epoll_event events[64];
  auto next_check = start + std::chrono::milliseconds(100);
  while (Clock::now() < end) {
    int n = ::epoll_wait(epoll, events, 64, 50);
    auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      uint32_t f = events[i].data.u32;
      int fd = sockets[f];
      while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
        ++replies;
        last_heard[f] = now;
        sent += ::send(fd, payload.data(), payload.size(), 0) > 0;
      }
    }
    if (now >= next_check) {
      next_check = now + std::chrono::milliseconds(100);
      for (int f = 0; f < flows; ++f) {
        if (now - last_heard[f] > std::chrono::milliseconds(200)) {
          ++refills;
          last_heard[f] = now;
          for (int w = 0; w < window; ++w) sent += ::send(sockets[f], payload.data(), payload.size(), 0) > 0;
        }
      }
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("rate=%.0f unit=datagrams/s replies=%llu sent=%llu refills=%llu\n", replies / elapsed,
              static_cast<unsigned long long>(replies), static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(refills));
}
