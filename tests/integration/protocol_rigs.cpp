#include "protocol_rigs.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "http_harness.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace {

// A TLS 1.3 ClientHello for "matrix.test" (made once with Python's ssl module). A tls listener
// only reads its server name and relays it; the greeting targets answer with their name.
constexpr const char* kClientHelloHex =
    "1603010200010001fc030300885b5084b992694aebc02174afde2e488832f3504ae215880e76a35e24516e209a39f730d6a22938f404d9fd"
    "69b76d736e2eb932bf8708bc6bf19b410e4063930024130213031301c02cc030c02bc02fcca9cca8c024c028c023c027009f009e006b0067"
    "00ff0100018f00000010000e00000b6d61747269782e74657374000b000403000102000a00160014001d0017001e001900180100010101020103"
    "0104002300000016000000170000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205"
    "020602002b00050403040303002d00020101003300260024001d0020fcf36f36ea18f2a6c581d6da5524240c312e01e15b4d344ae8688e59ca"
    "80ec43001500e2";

std::string client_hello() {
  std::string hex = kClientHelloHex;
  hex.append(0xe2 * 2, '0');  // the padding extension's zeros
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

std::string trim_line(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

// Targets that greet with their name on accept (test_backend greet), for tcp and tls listeners.
RigTarget greeting_target(const TempDir& dir, const std::string& name, const std::string& ip, int delay_ms) {
  const uint16_t port = free_port();
  std::vector<std::string> argv{build_path("test_backend"), "--listen", ip + ":" + std::to_string(port), "--name", name,
                                "--mode", "greet"};
  if (delay_ms > 0) argv.insert(argv.end(), {"--delay-ms", std::to_string(delay_ms)});
  auto process = std::make_unique<Process>(argv, dir.path(), "target-" + name);
  EXPECT_TRUE(process->wait_for_output("listening")) << process->errors();
  return {name, ip + ":" + std::to_string(port), std::move(process)};
}

// Rigs whose client socket learns at once which target it reached (tcp and tls: the greeting;
// udp: the reply): an exchange opens one and closes it, a hold keeps it open.
class SocketRig : public ProtocolRig {
 public:
  ~SocketRig() override { release_held(); }
  std::string exchange(uint16_t port, const std::string& source_ip, const std::vector<std::string>&) override {
    auto [fd, name] = open(port, source_ip);
    if (fd >= 0) ::close(fd);
    return name;
  }
  void hold(uint16_t port, const std::string& source_ip, const std::vector<RigTarget>&) override {
    auto socket = open(port, source_ip);
    if (socket.first >= 0) held_.push_back(socket);
  }
  std::map<std::string, int> held_per_target(const std::vector<RigTarget>&) override {
    std::map<std::string, int> counts;
    for (const auto& [fd, name] : held_) counts[name]++;
    return counts;
  }
  void release_held() override {
    for (const auto& [fd, name] : held_) ::close(fd);
    held_.clear();
  }

 protected:
  // A new client socket from source_ip and the name of the target it reached (fd -1: none).
  virtual std::pair<int, std::string> open(uint16_t port, const std::string& source_ip) = 0;

 private:
  std::vector<std::pair<int, std::string>> held_;
};

// tcp and tls: one connection per exchange; the greeting names the target.
class StreamRig : public SocketRig {
 public:
  explicit StreamRig(bool tls) : tls_(tls) {}
  const char* protocol() const override { return tls_ ? "tls" : "tcp"; }
  RigTarget start_target(const TempDir& dir, const std::string& name, const std::string& ip, int delay_ms,
                         const std::vector<std::string>& extra) override {
    return greeting_target(dir, name, ip, delay_ms);
  }

 protected:
  std::pair<int, std::string> open(uint16_t port, const std::string& source_ip) override {
    const int fd = connect_from(source_ip, port);
    if (fd < 0) return {-1, ""};
    if (tls_) send_all(fd, client_hello());
    return {fd, trim_line(read_line(fd))};
  }

 private:
  bool tls_;
};

// udp: one flow (a new client socket) per exchange; the reply starts with the target's name.
class UdpRig : public SocketRig {
 public:
  const char* protocol() const override { return "udp"; }
  RigTarget start_target(const TempDir& dir, const std::string& name, const std::string& ip, int delay_ms,
                         const std::vector<std::string>& extra) override {
    const uint16_t port = free_port(SOCK_DGRAM);
    std::vector<std::string> argv{build_path("udp_backend"), "--listen", ip + ":" + std::to_string(port), "--name", name};
    if (delay_ms > 0) argv.insert(argv.end(), {"--delay-ms", std::to_string(delay_ms)});
    auto process = std::make_unique<Process>(argv, dir.path(), "target-" + name);
    EXPECT_TRUE(process->wait_for_output("listening")) << process->errors();
    return {name, ip + ":" + std::to_string(port), std::move(process)};
  }
  // Each exchange a new flow: every socket of the run stays open until the last has its answer.
  // A closed socket's port can come straight back to the next one, and Fulcrum would then rightly
  // see the old flow (same target, no new turn).
  std::vector<std::string> exchanges(uint16_t port, const std::string& source_ip, int count) override {
    std::vector<std::string> names;
    std::vector<int> open_sockets;
    for (int i = 0; i < count; ++i) {
      auto [fd, name] = open(port, source_ip);
      names.push_back(name);
      if (fd >= 0) open_sockets.push_back(fd);
    }
    for (int fd : open_sockets) ::close(fd);
    return names;
  }

 protected:
  // A client socket on source_ip: sends one datagram, reads the reply's first word. The first
  // datagram after start may meet a listener that is not bound yet: asked again, up to 1 s.
  std::pair<int, std::string> open(uint16_t port, const std::string& source_ip) override {
    const int fd = try_connect_from(source_ip, port, SOCK_DGRAM);
    if (fd < 0) {
      ADD_FAILURE() << "udp socket from " << source_ip;
      return {-1, ""};
    }
    for (int attempt = 0; attempt < 10; ++attempt) {
      ::send(fd, "x", 1, 0);
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 1000) == 1) {
        char reply[512];
        ssize_t n = ::recv(fd, reply, sizeof reply, 0);
        if (n > 0) {
          std::string text(reply, static_cast<size_t>(n));
          return {fd, text.substr(0, text.find(' '))};
        }
      }
    }
    ::close(fd);
    return {-1, ""};
  }
};

// http and https: curl per exchange (a new connection each); a held request is a curl for
// /slow/ in the background, counted where the target logged it. With `h2`, curl speaks HTTP/2:
// with prior knowledge (h2c) on http, by ALPN on https.
class HttpRig : public ProtocolRig {
 public:
  HttpRig(bool tls, bool h2) : tls_(tls), h2_(h2) {}
  ~HttpRig() override { release_held(); }
  const char* protocol() const override { return tls_ ? "https" : "http"; }
  bool speaks_http() const override { return true; }
  bool speaks_http2() const override { return h2_; }
  std::string listener_extra(const TempDir& dir) override {
    if (!tls_) return "";
    pki_ = std::make_unique<TestPki>(dir);
    return https_listener_tls(*pki_);
  }
  RigTarget start_target(const TempDir& dir, const std::string& name, const std::string& ip, int delay_ms,
                         const std::vector<std::string>& extra) override {
    const uint16_t port = free_port();
    std::vector<std::string> argv{build_path("http_backend"), "--listen", ip + ":" + std::to_string(port), "--name", name};
    if (delay_ms > 0) argv.insert(argv.end(), {"--delay-ms", std::to_string(delay_ms)});
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto process = std::make_unique<Process>(argv, dir.path(), "target-" + name);
    EXPECT_TRUE(process->wait_for_output("listening")) << process->errors();
    return {name, ip + ":" + std::to_string(port), std::move(process)};
  }
  std::string exchange(uint16_t port, const std::string& source_ip, const std::vector<std::string>& curl_extra) override {
    std::vector<std::string> args{"--interface", source_ip};
    if (tls_) args.push_back("-k");
    add_version(args);
    args.insert(args.end(), curl_extra.begin(), curl_extra.end());
    args.push_back(url(port, "/"));
    const auto names = backend_names(curl(args).out);
    return names.empty() ? "" : names.front();
  }
  // One curl for all of them (a process per exchange is most of the time these tests take);
  // Connection: close makes each request a connection of its own, so both workers take part.
  // (HTTP/2 has no Connection field: its requests share one connection, one stream each.)
  std::vector<std::string> exchanges(uint16_t port, const std::string& source_ip, int count) override {
    // curl 7.88 with --http2-prior-knowledge answers only the first of several URLs (it does
    // the same against nginx): h2c takes a curl per exchange.
    if (h2_ && !tls_) return ProtocolRig::exchanges(port, source_ip, count);
    std::vector<std::string> args{"--interface", source_ip};
    if (!h2_) args.insert(args.end(), {"-H", "Connection: close"});
    if (tls_) args.push_back("-k");
    add_version(args);
    for (int i = 0; i < count; ++i) args.push_back(url(port, "/"));
    return backend_names(curl(args).out);
  }
  void hold(uint16_t port, const std::string& source_ip, const std::vector<RigTarget>& targets) override {
    std::vector<std::string> argv{"/usr/bin/curl", "-s", "--max-time", "30", "--interface", source_ip};
    if (tls_) argv.push_back("-k");
    add_version(argv);
    argv.push_back(url(port, "/slow/20000"));
    held_.push_back(std::make_unique<Process>(argv, "/tmp", "held-curl"));
    // Held once a target has it: the targets log "request GET /slow/..." when it arrives.
    const size_t want = held_.size();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (logged_slow_requests(targets) < want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(2ms);
    }
  }
  std::map<std::string, int> held_per_target(const std::vector<RigTarget>& targets) override {
    std::map<std::string, int> counts;
    for (const auto& target : targets) counts[target.name] = slow_requests(*target.process);
    return counts;
  }
  void release_held() override {
    for (auto& process : held_) process->signal(SIGKILL);
    held_.clear();
  }

 private:
  void add_version(std::vector<std::string>& args) const {
    if (h2_) args.push_back(tls_ ? "--http2" : "--http2-prior-knowledge");
    else if (tls_) args.push_back("--http1.1");  // curl would offer h2 by ALPN, and Fulcrum takes it
  }
  std::string url(uint16_t port, const std::string& path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + path;
  }
  static int slow_requests(const Process& target) {
    std::istringstream lines(target.output());
    int n = 0;
    for (std::string line; std::getline(lines, line);) n += line.rfind("request GET /slow/", 0) == 0;
    return n;
  }
  static size_t logged_slow_requests(const std::vector<RigTarget>& targets) {
    size_t n = 0;
    for (const auto& target : targets) n += static_cast<size_t>(slow_requests(*target.process));
    return n;
  }
  bool tls_;
  bool h2_;
  std::unique_ptr<TestPki> pki_;
  std::vector<std::unique_ptr<Process>> held_;
};

}  // namespace

std::unique_ptr<ProtocolRig> make_rig(const std::string& protocol) {
  if (protocol == "tcp") return std::make_unique<StreamRig>(false);
  if (protocol == "tls") return std::make_unique<StreamRig>(true);
  if (protocol == "udp") return std::make_unique<UdpRig>();
  if (protocol == "http") return std::make_unique<HttpRig>(false, false);
  if (protocol == "https") return std::make_unique<HttpRig>(true, false);
  if (protocol == "h2c") return std::make_unique<HttpRig>(false, true);
  if (protocol == "h2") return std::make_unique<HttpRig>(true, true);
  ADD_FAILURE() << "no rig for " << protocol;
  return nullptr;
}

const std::vector<std::string>& all_protocols() {
  static const std::vector<std::string> kAll{"tcp", "udp", "tls", "http", "https", "h2c", "h2"};
  return kAll;
}

}  // namespace fulcrum::testing
