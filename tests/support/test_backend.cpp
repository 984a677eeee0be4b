// A backend process for integration tests and benchmarks. Deliberately independent of
// Fulcrum's code (its own PROXY protocol parsing), so a test checks Fulcrum against the spec,
// not against itself. Prints one line per event to stdout for the tests to read.
//
//   test_backend --listen 127.0.0.1:PORT [--name NAME] [--mode MODE] [--expect-proxy]
//
// Modes:
//   echo         echo every byte; on the client's EOF, finish echoing then close
//   greet        write "NAME\n" on accept, then echo
//   name-once    write "NAME\n" and close (new-connection benchmarks)
//   server-fin   write "hello from NAME\n", shut down our write side, then read to EOF and
//                print "received N bytes: TEXT"
//   sink         read and discard everything, then print "received N bytes"
//   source       write bytes as fast as the client reads them, until it goes away
//   http         HTTP/1.1 keep-alive server: answers every request with the status in
//                --status-file (re-read per request; "200" when missing; "hang" never answers),
//                body "NAME\n"; prints "request METHOD PATH status=N" per request;
//                with --health-status-file, requests for /health read that file instead
//                (a gray failure: /health answers 200 while real traffic gets 500)
// --delay-ms N: wait N ms before each echo, and before the greeting in greet mode (a slow target).
// --expect-proxy: read a PROXY v1/v2 header first and print
//   "proxy vN src=ADDR:PORT dst=ADDR:PORT hex=HEX"; then go on in the mode.
#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string g_name = "backend";
std::string g_mode = "echo";
bool g_expect_proxy = false;
int g_delay_ms = 0;
std::string g_status_file;
std::string g_health_status_file;
std::mutex g_print_mutex;

void say(const std::string& line) {
  std::lock_guard lock(g_print_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

bool write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool read_exact(int fd, unsigned char* out, size_t size) {
  while (size > 0) {
    ssize_t n = ::recv(fd, out, size, 0);
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string hex(const unsigned char* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string address_text(int family, const unsigned char* address, uint16_t port_be) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, address, text, sizeof text);
  std::string host = family == AF_INET6 ? "[" + std::string(text) + "]" : text;
  return host + ":" + std::to_string(ntohs(port_be));
}

// Reads a PROXY header byte-exactly as the spec lays it out; returns false if malformed.
bool read_proxy_header(int fd) {
  unsigned char head[16];
  if (!read_exact(fd, head, 5)) return false;
  if (std::memcmp(head, "PROXY", 5) == 0) {
    std::string line = "PROXY";
    char c;
    while (line.size() < 107 && ::recv(fd, &c, 1, 0) == 1) {
      line += c;
      if (line.size() >= 2 && line.compare(line.size() - 2, 2, "\r\n") == 0) break;
    }
    if (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) return false;
    std::string body = line.substr(0, line.size() - 2);
    char proto[8], src[64], dst[64];
    unsigned sport, dport;
    if (std::sscanf(body.c_str(), "PROXY %7s %63s %63s %u %u", proto, src, dst, &sport, &dport) != 5) return false;
    bool v6 = std::strcmp(proto, "TCP6") == 0;
    std::string s = v6 ? "[" + std::string(src) + "]" : src;
    std::string d = v6 ? "[" + std::string(dst) + "]" : dst;
    say("proxy v1 src=" + s + ":" + std::to_string(sport) + " dst=" + d + ":" + std::to_string(dport) +
        " hex=" + hex(reinterpret_cast<const unsigned char*>(line.data()), line.size()));
    return true;
  }
  static const unsigned char signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  if (!read_exact(fd, head + 5, 11) || std::memcmp(head, signature, 12) != 0) return false;
  size_t length = (size_t(head[14]) << 8) | head[15];
  std::vector<unsigned char> rest(length);
  if (!read_exact(fd, rest.data(), length)) return false;
  std::vector<unsigned char> all(head, head + 16);
  all.insert(all.end(), rest.begin(), rest.end());
  std::string src, dst;
  if (head[13] == 0x11 && length >= 12) {
    src = address_text(AF_INET, rest.data(), *reinterpret_cast<uint16_t*>(&rest[8]));
    dst = address_text(AF_INET, rest.data() + 4, *reinterpret_cast<uint16_t*>(&rest[10]));
  } else if (head[13] == 0x21 && length >= 36) {
    src = address_text(AF_INET6, rest.data(), *reinterpret_cast<uint16_t*>(&rest[32]));
    dst = address_text(AF_INET6, rest.data() + 16, *reinterpret_cast<uint16_t*>(&rest[34]));
  } else {
    return false;
  }
  say("proxy v2 src=" + src + " dst=" + dst + " hex=" + hex(all.data(), all.size()));
  return true;
}

std::string current_status(const std::string& path) {
  const std::string& file = path == "/health" && !g_health_status_file.empty() ? g_health_status_file : g_status_file;
  std::ifstream in(file);
  std::string status;
  if (file.empty() || !(in >> status)) return "200";
  return status;
}

void serve_http(int fd) {
  std::string pending;
  std::vector<char> buffer(16 * 1024);
  for (;;) {
    size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      pending.append(buffer.data(), static_cast<size_t>(n));
    }
    std::string head = pending.substr(0, end);
    pending.erase(0, end + 4);
    std::string line = head.substr(0, head.find("\r\n"));
    auto first_space = line.find(' ');
    auto second_space = line.find(' ', first_space + 1);
    std::string method = line.substr(0, first_space);
    std::string path = line.substr(first_space + 1, second_space - first_space - 1);
    std::string status = current_status(path);
    say("request " + method + " " + path + " status=" + status);
    if (status == "hang") {
      // Never answer: hold the connection until the client gives up.
      while (::recv(fd, buffer.data(), buffer.size(), 0) > 0) {
      }
      ::close(fd);
      return;
    }
    std::string body = g_name + "\n";
    std::string response = "HTTP/1.1 " + status + " X\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nContent-Type: text/plain\r\n\r\n" + body;
    if (!write_all(fd, response.data(), response.size())) break;
  }
  ::close(fd);
}

void serve(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (g_expect_proxy && !read_proxy_header(fd)) {
    say("proxy malformed");
    ::close(fd);
    return;
  }
  if (g_mode == "http") {
    serve_http(fd);
    return;
  }
  std::vector<char> buffer(64 * 1024);
  if (g_mode == "name-once") {
    std::string line = g_name + "\n";
    write_all(fd, line.data(), line.size());
  } else if (g_mode == "server-fin") {
    std::string line = "hello from " + g_name + "\n";
    write_all(fd, line.data(), line.size());
    ::shutdown(fd, SHUT_WR);
    std::string received;
    ssize_t n;
    while ((n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0) received.append(buffer.data(), static_cast<size_t>(n));
    say("received " + std::to_string(received.size()) + " bytes: " + received);
  } else if (g_mode == "source") {
    while (write_all(fd, buffer.data(), buffer.size())) {
    }
  } else if (g_mode == "sink") {
    uint64_t total = 0;
    ssize_t n;
    while ((n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0) total += static_cast<uint64_t>(n);
    say("received " + std::to_string(total) + " bytes");
  } else {
    if (g_mode == "greet") {
      if (g_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(g_delay_ms));
      std::string line = g_name + "\n";
      write_all(fd, line.data(), line.size());
    }
    uint64_t total = 0;
    ssize_t n;
    while ((n = ::recv(fd, buffer.data(), buffer.size(), 0)) > 0) {
      total += static_cast<uint64_t>(n);
      if (g_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(g_delay_ms));
      if (!write_all(fd, buffer.data(), static_cast<size_t>(n))) break;
    }
    if (n == 0) say("client eof after " + std::to_string(total) + " bytes");
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  int backlog = 1024;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--listen") listen = value();
    else if (arg == "--name") g_name = value();
    else if (arg == "--mode") g_mode = value();
    else if (arg == "--expect-proxy") g_expect_proxy = true;
    else if (arg == "--backlog") backlog = std::stoi(value());
    else if (arg == "--delay-ms") g_delay_ms = std::stoi(value());
    else if (arg == "--status-file") g_status_file = value();
    else if (arg == "--health-status-file") g_health_status_file = value();
    else {
      std::fprintf(stderr, "test_backend: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  inet_pton(AF_INET, listen.substr(0, colon).c_str(), &address.sin_addr);
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, backlog) != 0) {
    std::perror("test_backend: bind/listen");
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  say("listening " + std::to_string(ntohs(address.sin_port)));
  if (backlog == 0) {
    // --backlog 0 simulates a target whose accept queue is full: never accept.
    for (;;) pause();
  }
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (g_mode == "name-once" && !g_expect_proxy) {
      // Answered inline: a thread per connection would make the backend the bottleneck of
      // new-connection benchmarks.
      std::string line = g_name + "\n";
      write_all(fd, line.data(), line.size());
      ::close(fd);
      continue;
    }
    std::thread(serve, fd).detach();
  }
}
