// A UDP backend for integration tests and benchmarks, independent of Fulcrum's code.
//
//   udp_backend --listen 127.0.0.1:PORT [--name NAME] [--mode name|echo] [--threads N]
//
// Modes:
//   name   answer each datagram with "NAME SRCPORT PAYLOAD" (which target, which flow socket)
//          and print "datagram from SRCPORT" per datagram (tests count them)
//   echo   send every datagram back unchanged, in batches (benchmarks); prints nothing per datagram
// Prints "listening" once bound. --threads N: N SO_REUSEPORT sockets, one thread each.
// --delay-ms N: name mode waits N ms before each reply (a slow target).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

namespace {

std::string g_name = "udp";
std::string g_mode = "name";
int g_delay_ms = 0;
std::mutex g_print_mutex;

void say(const std::string& line) {
  std::lock_guard lock(g_print_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int open_socket(const sockaddr_in& address) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  return fd;
}

void serve_name(int fd) {
  std::vector<char> buffer(65536);
  for (;;) {
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&peer), &length);
    if (n < 0) continue;
    std::string port = std::to_string(ntohs(peer.sin_port));
    say("datagram from " + port);
    if (g_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(g_delay_ms));
    std::string reply = g_name + " " + port + " " + std::string(buffer.data(), static_cast<size_t>(n));
    ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
  }
}

void serve_echo(int fd) {
  constexpr int kBatch = 64;
  std::vector<char> buffers(kBatch * 2048);
  mmsghdr messages[kBatch];
  iovec vectors[kBatch];
  sockaddr_in peers[kBatch];
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      vectors[i] = {buffers.data() + i * 2048, 2048};
      messages[i] = {};
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = &peers[i];
      messages[i].msg_hdr.msg_namelen = sizeof peers[i];
    }
    int n = ::recvmmsg(fd, messages, kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) vectors[i].iov_len = messages[i].msg_len;
    ::sendmmsg(fd, messages, static_cast<unsigned>(n), 0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--listen") listen = argv[i + 1];
    else if (flag == "--name") g_name = argv[i + 1];
    else if (flag == "--mode") g_mode = argv[i + 1];
    else if (flag == "--threads") threads = std::max(1, std::atoi(argv[i + 1]));
    else if (flag == "--delay-ms") g_delay_ms = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  inet_pton(AF_INET, listen.substr(0, colon).c_str(), &address.sin_addr);
  std::vector<int> sockets;
  for (int t = 0; t < threads; ++t) sockets.push_back(open_socket(address));
  say("listening");
  std::vector<std::thread> workers;
  for (int fd : sockets) workers.emplace_back(g_mode == "echo" ? serve_echo : serve_name, fd);
  for (auto& worker : workers) worker.join();
}
