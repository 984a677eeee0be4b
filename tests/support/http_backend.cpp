// An HTTP/1.1 origin server for integration tests and benchmarks. Deliberately independent of
// Fulcrum's code (its own small parser), so tests check Fulcrum against the protocol, not
// against itself. One thread per connection; keep-alive; Content-Length and chunked request
// bodies (streamed, never stored whole). Prints one line per event to stdout:
//   "listening PORT", "accept N" (N-th connection), "request METHOD TARGET body=BYTES",
//   "bytes N" (raw bytes received on a connection, printed when it closes).
//
//   http_backend --listen 127.0.0.1:PORT|[::1]:PORT [--name NAME] [--idle-close-ms N] [--quiet]
//   --quiet: no lines but "listening"; --quiet-requests: "accept" lines only (load tests count them)
//
// Paths:
//   /bytes/N       N bytes of body with Content-Length      /chunked/N  N bytes, chunked
//   /status/NNN    that status, empty body                  /slow/MS    answer after MS ms
//   /close         answer with Connection: close, then close
//   /until-close   a body delimited by closing the connection
//   /malformed     a response with two differing Content-Length fields
//   /sink          read the body, answer "received N"        /echo       echo the body back
//   /set-cookie/N=V   answers with Set-Cookie: N=V
//   /ws            WebSocket-style upgrade: 101, then echo every byte
// A request carrying "Upgrade: h2c" (any path) is taken up as an h2c-capable server would
// (RFC 7540 §3.2): "upgrade h2c" is printed, 101 sent, then an HTTP/2 SETTINGS frame, and the
// connection closes. A proxy must never let a client get there.
//   anything else  200, body = "backend NAME\n" followed by the request head as received
// An HTTP/1.1 request without Host is answered 400 and the connection closed (as nginx does).
// --idle-close-ms N: close a keep-alive connection idle for N ms (stale pool tests).
// --drop-requests: read each request, then close the connection without answering.
// --always-status NNN: answer every request with that status (a failing target).
// --delay-ms N: wait N ms before answering each request (a slow target).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
int g_idle_close_ms = 0;
bool g_quiet_requests = false;  // no "request" or "bytes" lines
bool g_quiet_accepts = false;   // no "accept" lines
bool g_drop_requests = false;
int g_delay_ms = 0;
std::string g_always_status;  // answer every request with this status (passive health tests)
std::mutex g_print_mutex;
std::atomic<uint64_t> g_accepted{0};

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
bool write_all(int fd, const std::string& s) { return write_all(fd, s.data(), s.size()); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Buffered reader over one connection.
struct Conn {
  int fd;
  std::string in;
  uint64_t raw_bytes = 0;

  bool fill() {
    char buffer[65536];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    raw_bytes += static_cast<uint64_t>(n);
    in.append(buffer, static_cast<size_t>(n));
    return true;
  }
  bool line(std::string& out) {
    for (;;) {
      auto end = in.find("\r\n");
      if (end != std::string::npos) {
        out = in.substr(0, end);
        in.erase(0, end + 2);
        return true;
      }
      if (in.size() > 1 << 20 || !fill()) return false;
    }
  }
  // Hands body bytes to `sink` without keeping them.
  template <class Sink>
  bool take(uint64_t n, Sink&& sink) {
    while (n > 0) {
      if (in.empty() && !fill()) return false;
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, in.size()));
      sink(in.data(), k);
      in.erase(0, k);
      n -= k;
    }
    return true;
  }
};

struct Request {
  std::string method, target, version, raw_head;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string get(const std::string& name) const {
    for (auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

bool read_head(Conn& c, Request& r) {
  std::string line;
  do {
    if (!c.line(line)) return false;
  } while (line.empty());
  r.raw_head = line + "\r\n";
  auto s1 = line.find(' '), s2 = line.rfind(' ');
  if (s1 == std::string::npos || s2 == s1) return false;
  r.method = line.substr(0, s1);
  r.target = line.substr(s1 + 1, s2 - s1 - 1);
  r.version = line.substr(s2 + 1);
  for (;;) {
    if (!c.line(line)) return false;
    r.raw_head += line + "\r\n";
    if (line.empty()) return true;
    auto colon = line.find(':');
    if (colon == std::string::npos) return false;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    r.headers.emplace_back(lower(line.substr(0, colon)), value);
  }
}

// Reads the request body, handing payload to `sink`; returns false on a framing error.
template <class Sink>
bool read_body(Conn& c, const Request& r, uint64_t& total, Sink&& sink) {
  total = 0;
  if (lower(r.get("transfer-encoding")).find("chunked") != std::string::npos) {
    std::string line;
    for (;;) {
      if (!c.line(line)) return false;
      uint64_t size = std::strtoull(line.c_str(), nullptr, 16);
      if (size == 0) {
        do {
          if (!c.line(line)) return false;
        } while (!line.empty());
        return true;
      }
      if (!c.take(size, sink)) return false;
      total += size;
      if (!c.line(line) || !line.empty()) return false;
    }
  }
  std::string cl = r.get("content-length");
  if (cl.empty()) return true;
  uint64_t n = std::strtoull(cl.c_str(), nullptr, 10);
  total = n;
  return c.take(n, sink);
}

bool send_bytes(int fd, uint64_t n, bool chunked) {
  static const std::string block(65536, 'x');
  while (n > 0) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, block.size()));
    if (chunked) {
      char size_line[32];
      int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", k);
      if (!write_all(fd, size_line, static_cast<size_t>(len))) return false;
    }
    if (!write_all(fd, block.data(), k)) return false;
    if (chunked && !write_all(fd, "\r\n", 2)) return false;
    n -= k;
  }
  return !chunked || write_all(fd, "0\r\n\r\n", 5);
}

void serve(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (g_idle_close_ms > 0) {
    timeval tv{g_idle_close_ms / 1000, (g_idle_close_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  Conn c{fd, {}, 0};
  for (;;) {
    Request r;
    if (!read_head(c, r)) break;
    if (r.version == "HTTP/1.1" && std::none_of(r.headers.begin(), r.headers.end(),
                                                [](const auto& h) { return h.first == "host"; })) {
      // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400, as nginx does.
      if (!g_quiet_requests) say("request " + r.method + " " + r.target + " refused: no Host");
      const std::string refused = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      write_all(fd, refused.data(), refused.size());
      break;
    }
    bool close_after = lower(r.get("connection")) == "close" || r.version == "HTTP/1.0";
    std::string path = r.target;
    std::string status = "200 OK";
    std::string extra = "X-Backend: " + g_name + "\r\n";
    std::string body;
    uint64_t received = 0;
    bool ok;
    if (path == "/echo") {
      ok = read_body(c, r, received, [&](const char* p, size_t n) { body.append(p, n); });
    } else {
      ok = read_body(c, r, received, [](const char*, size_t) {});
    }
    if (!g_quiet_requests) say("request " + r.method + " " + r.target + " body=" + std::to_string(received));
    if (!ok || g_drop_requests) break;
    if (g_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(g_delay_ms));
    const bool head_only = r.method == "HEAD";
    if (path.rfind("/bytes/", 0) == 0 || path.rfind("/chunked/", 0) == 0) {
      bool chunked = path[1] == 'c';
      uint64_t n = std::strtoull(path.c_str() + path.find('/', 1) + 1, nullptr, 10);
      std::string head = "HTTP/1.1 200 OK\r\n" + extra +
                         (chunked ? std::string("Transfer-Encoding: chunked\r\n")
                                  : "Content-Length: " + std::to_string(n) + "\r\n") +
                         (close_after ? "Connection: close\r\n" : "") + "\r\n";
      if (!write_all(fd, head) || (!head_only && !send_bytes(fd, n, chunked)) || close_after) break;
      continue;
    }
    if (path == "/until-close") {
      write_all(fd, "HTTP/1.1 200 OK\r\n" + extra + "\r\nbody until close from " + g_name + "\n");
      break;
    }
    if (path == "/malformed") {
      write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
      break;
    }
    if (r.get("upgrade") == "h2c") {
      say("upgrade h2c");
      static const char kSettings[] = {0, 0, 0, 4, 0, 0, 0, 0, 0};  // empty SETTINGS, stream 0
      write_all(fd, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
      write_all(fd, kSettings, sizeof kSettings);
      break;
    }
    if (path == "/ws") {
      write_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + extra +
                        "\r\n");
      if (!c.in.empty() && !write_all(fd, c.in)) break;
      char buffer[65536];
      ssize_t n;
      while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) {
        if (!write_all(fd, buffer, static_cast<size_t>(n))) break;
      }
      break;
    }
    if (!g_always_status.empty()) {
      status = g_always_status + " Status";
      body = "backend " + g_name + "\n";
    } else if (path.rfind("/set-cookie/", 0) == 0) {
      extra += "Set-Cookie: " + path.substr(12) + "; Path=/\r\n";
      body = "backend " + g_name + "\n";
    } else if (path.rfind("/status/", 0) == 0) {
      status = path.substr(8) + " Status";
    } else if (path.rfind("/slow/", 0) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(path.c_str() + 6)));
      body = "slow " + g_name + "\n";
    } else if (path == "/sink") {
      body = "received " + std::to_string(received) + "\n";
    } else if (path == "/close") {
      close_after = true;
      body = "closing " + g_name + "\n";
    } else if (path != "/echo") {
      body = "backend " + g_name + "\n" + r.raw_head;
    }
    std::string response = "HTTP/1.1 " + status + "\r\n" + extra + "Content-Type: text/plain\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n" + (close_after ? "Connection: close\r\n" : "") +
                           "\r\n" + (head_only ? "" : body);
    if (!write_all(fd, response) || close_after) break;
  }
  if (!g_quiet_requests) say("bytes " + std::to_string(c.raw_bytes));
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--listen") listen = value();
    else if (arg == "--name") g_name = value();
    else if (arg == "--idle-close-ms") g_idle_close_ms = std::stoi(value());
    else if (arg == "--quiet") g_quiet_requests = g_quiet_accepts = true;
    else if (arg == "--quiet-requests") g_quiet_requests = true;
    else if (arg == "--drop-requests") g_drop_requests = true;
    else if (arg == "--always-status") g_always_status = value();
    else if (arg == "--delay-ms") g_delay_ms = std::stoi(value());
    else {
      std::fprintf(stderr, "http_backend: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  // 127.0.0.1:PORT or [::1]:PORT.
  auto colon = listen.rfind(':');
  const uint16_t wanted_port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
  std::string host = listen.substr(0, colon);
  const bool v6 = host.size() > 2 && host.front() == '[';
  sockaddr_storage address{};
  socklen_t length = 0;
  if (v6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&address);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(wanted_port);
    inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&address);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(wanted_port);
    inet_pton(AF_INET, host.c_str(), &a4->sin_addr);
    length = sizeof(sockaddr_in);
  }
  int listener = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 || ::listen(listener, 4096) != 0) {
    std::perror("http_backend: bind/listen");
    return 1;
  }
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  const uint16_t bound_port = v6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                 : reinterpret_cast<sockaddr_in*>(&address)->sin_port;
  say("listening " + std::to_string(ntohs(bound_port)));
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    uint64_t n = ++g_accepted;
    if (!g_quiet_accepts) say("accept " + std::to_string(n));
    std::thread(serve, fd).detach();
  }
}
