// Many listening sockets in one process, for health-check benchmarks: 1,000 "targets" without
// 1,000 processes. One thread, one epoll set. Prints the ports, one per line, after "ready".
//
//   listen_many --count N [--mode tcp|http|http-close] [--ports-file PATH]
//
// tcp:  accept and close (the accept queue never fills).
// http: answer every request with "HTTP/1.1 200 OK" (Content-Length: 0), keep-alive.
// http-close: the same answer with "Connection: close", then close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <unordered_set>
#include <vector>

int main(int argc, char** argv) {
  int count = 1000;
  std::string mode = "tcp";
  std::string ports_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--count") count = std::stoi(value());
    else if (arg == "--mode") mode = value();
    else if (arg == "--ports-file") ports_file = value();
    else {
      std::fprintf(stderr, "listen_many: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::unordered_set<int> listeners;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 128) != 0) {
      std::perror("listen_many: socket/bind/listen");
      return 1;
    }
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ports.push_back(ntohs(address.sin_port));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    listeners.insert(fd);
  }
  if (!ports_file.empty()) {
    std::ofstream out(ports_file);
    for (int port : ports) out << port << "\n";
  }
  std::printf("ready %d\n", count);
  std::fflush(stdout);

  static const char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  static const char kAnswerClose[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  const bool http = mode == "http" || mode == "http-close";
  const bool keep_alive = mode == "http";
  std::vector<epoll_event> events(256);
  char buffer[4096];
  for (;;) {
    int n = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (listeners.count(fd)) {
        for (;;) {
          int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (client < 0) break;
          if (!http) {
            ::close(client);
            continue;
          }
          epoll_event event{};
          event.events = EPOLLIN | EPOLLRDHUP;
          event.data.fd = client;
          epoll_ctl(epoll, EPOLL_CTL_ADD, client, &event);
        }
        continue;
      }
      // An HTTP client: answer once its request head has arrived (checks send it in one piece).
      ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got > 0 && keep_alive) {
        ::send(fd, kAnswer, sizeof kAnswer - 1, MSG_NOSIGNAL);
        continue;
      }
      if (got > 0) ::send(fd, kAnswerClose, sizeof kAnswerClose - 1, MSG_NOSIGNAL);
      ::close(fd);
    }
  }
}
