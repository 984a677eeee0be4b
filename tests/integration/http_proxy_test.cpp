// The HTTP/1.1 reverse proxy end to end: the real binary, the HTTP test backend, curl and raw
// sockets. Rules, stickiness and upgrades have their own files.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "../support/smuggling_cases.hpp"
#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http_proxy_test {

std::string http_config(uint16_t port, const std::vector<std::string>& targets, const std::string& listener_extra = "",
                        const std::string& group_extra = "", int workers = 1) {
  std::string yaml = "workers: " + std::to_string(workers) +
                     "\nshutdown_timeout: 2s\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" +
                     std::to_string(port) + "\n    protocol: http\n" + listener_extra +
                     "    default: { forward: app }\ntarget_groups:\n  - name: app\n    algorithm: round_robin\n" +
                     group_extra + "    targets:\n";
  for (const auto& target : targets) yaml += "      - { address: " + target + " }\n";
  if (targets.empty()) yaml += "      []\n";
  return yaml;
}

std::string url(uint16_t port, const std::string& path) { return "http://127.0.0.1:" + std::to_string(port) + path; }

// Sends a WebSocket upgrade for /ws on `fd`; returns the response head.
std::string upgrade_to_websocket(int fd) {
  send_all(fd, "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    std::string more = read_exact(fd, 1, 2s);
    if (more.empty()) break;
    head += more;
  }
  return head;
}

TEST(HttpProxy, ForwardsWithForwardingHeadersAndWithoutHopByHopFields) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  auto r = curl({"-i", "-H", "X-Forwarded-For: 203.0.113.7", "-H", "Connection: keep-alive, X-Secret", "-H",
                 "X-Secret: hush", "-H", "Keep-Alive: timeout=5", "-H", "Proxy-Connection: keep-alive", "-H",
                 "TE: trailers", "-H", "X-Kept: yes", url(port, "/headers?q=1")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(status_of(r.out), 200) << r.out;
  const std::string& body = r.out;
  EXPECT_NE(body.find("GET /headers?q=1 HTTP/1.1\r\n"), std::string::npos) << body;
  EXPECT_NE(body.find("X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"), std::string::npos) << body;
  EXPECT_NE(body.find("X-Forwarded-Proto: http\r\n"), std::string::npos);
  EXPECT_NE(body.find("X-Forwarded-Port: " + std::to_string(port) + "\r\n"), std::string::npos);
  EXPECT_NE(body.find("X-Real-IP: 127.0.0.1\r\n"), std::string::npos);
  EXPECT_NE(body.find("X-Request-Id: "), std::string::npos);
  EXPECT_NE(body.find("Host: 127.0.0.1:" + std::to_string(port) + "\r\n"), std::string::npos);
  EXPECT_NE(body.find("X-Kept: yes\r\n"), std::string::npos);
  for (const char* gone : {"X-Secret", "Keep-Alive", "Proxy-Connection", "TE:", "Connection:"}) {
    EXPECT_EQ(body.find(std::string("\r\n") + gone), std::string::npos) << gone << " was forwarded:\n" << body;
  }
  // A client's own X-Request-Id is kept, not replaced.
  auto own = curl({"-H", "X-Request-Id: abc-123", url(port, "/headers")});
  EXPECT_NE(own.out.find("X-Request-Id: abc-123\r\n"), std::string::npos) << own.out;
  // One access-log line per request (written by the log's writer thread, after the answer).
  EXPECT_TRUE(fulcrum->wait_for_output("http.request"));
  EXPECT_TRUE(fulcrum->wait_for_output("path=\"/headers?q=1\" status=200")) << fulcrum->output();
}

TEST(HttpProxy, CombinedAccessLogFormat) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port, {"--access-log-format", "combined"});
  auto r = curl({"-A", "probe/1.0", "-e", "https://ref.example/", "-o", "/dev/null", url(port, "/bytes/5?x=1")});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_TRUE(fulcrum->wait_for_output("rid="));
  const std::string out = fulcrum->output();
  // What a combined-format reader (GoAccess, AWStats) parses, then the balancer's fields.
  EXPECT_NE(out.find("127.0.0.1 - - ["), std::string::npos) << out;
  // The size is what went to the client, head and body (nginx's $bytes_sent).
  const std::regex combined(R"(\+0000\] "GET /bytes/5\?x=1 HTTP/1\.1" 200 (\d+) "https://ref\.example/" "probe/1\.0" host="127\.0\.0\.1:)" +
                            std::to_string(port) + R"(" in=\d+ rt=\d+\.\d{3} ct=[-0-9.]+ fb=\d+\.\d{3} group="app" )");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(out, match, combined)) << out;
  EXPECT_GT(std::stoi(match[1]), 5 + 30) << out;
  EXPECT_NE(out.find("target=\"" + backend.address() + "\""), std::string::npos) << out;
  EXPECT_NE(out.find("desync=compliant"), std::string::npos) << out;
}

TEST(HttpProxy, KeepAliveClientsAndUpstreamConnectionReuse) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  std::vector<std::string> args{"-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n"};
  for (int i = 0; i < 20; ++i) args.push_back(url(port, "/bytes/100"));
  auto r = curl(args);
  ASSERT_EQ(r.exit_code, 0);
  // curl opened one connection to Fulcrum for all 20 (keep-alive toward the client)...
  EXPECT_EQ(r.out.find("200 1\n"), 0u) << r.out;
  size_t reused_client = 0;
  for (size_t at = 0; (at = r.out.find("200 0\n", at)) != std::string::npos; ++at) ++reused_client;
  EXPECT_EQ(reused_client, 19u) << r.out;
  // ...and a second curl process is served on the same target connection (the worker's pool).
  auto again = curl({"-o", "/dev/null", "-w", "%{http_code}", url(port, "/bytes/100")});
  EXPECT_EQ(again.out, "200");
  EXPECT_EQ(backend.count("request GET /bytes/100"), 21u);
  EXPECT_EQ(backend.count("accept "), 1u) << backend.process.output();
}

// HTTP/1.0 allows a request without Host; the HTTP/1.1 request sent on must have one (targets
// such as nginx answer 400 and close otherwise, which also cost a new target connection for
// every such request). Fulcrum sends the address the client connected to.
TEST(HttpProxy, Http10RequestWithoutHostGoesOnWithTheListenersAddressAsHost) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  for (int i = 0; i < 3; ++i) {
    const std::string response = raw_exchange(port, "GET /who HTTP/1.0\r\n\r\n");
    EXPECT_EQ(status_of(response), 200) << response;
    EXPECT_NE(response.find("Host: 127.0.0.1:" + std::to_string(port) + "\r\n"), std::string::npos) << response;
  }
  EXPECT_EQ(backend.count("request GET /who"), 3u) << backend.process.output();
  EXPECT_EQ(backend.count("accept "), 1u) << backend.process.output();  // one pooled target connection
}

TEST(HttpProxy, PooledConnectionClosedByTheTargetIsNeverHandedOut) {
  TempDir dir;
  HttpBackend backend(dir, "b1", {"--idle-close-ms", "200"});
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  for (int i = 0; i < 3; ++i) {
    auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", url(port, "/bytes/10")});
    EXPECT_EQ(r.out, "200") << "request " << i;
    std::this_thread::sleep_for(500ms);  // the target closes its idle side meanwhile
  }
  EXPECT_EQ(backend.count("accept "), 3u);
  // The three requests' access lines (a writer thread writes them after the answers), none a 502.
  EXPECT_TRUE(wait_for_count(*fulcrum, "http.request", 3)) << fulcrum->output();
  EXPECT_EQ(fulcrum->output().find("status=502"), std::string::npos) << fulcrum->output();
}

TEST(HttpProxy, StreamsContentLengthAndChunkedBodiesBothWays) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  std::string file = dir.path() + "/upload.bin";
  {
    std::string data(5 * 1024 * 1024 + 17, 'u');
    dir.write("upload.bin", data);
  }
  auto cl = curl({"--data-binary", "@" + file, url(port, "/sink")});
  EXPECT_EQ(cl.out, "received 5242897\n");
  auto chunked = curl({"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, url(port, "/sink")});
  EXPECT_EQ(chunked.out, "received 5242897\n");
  auto down = curl({"-o", "/dev/null", "-w", "%{size_download}", url(port, "/bytes/7000001")});
  EXPECT_EQ(down.out, "7000001");
  auto down_chunked = curl({"-o", "/dev/null", "-w", "%{size_download}", url(port, "/chunked/7000001")});
  EXPECT_EQ(down_chunked.out, "7000001");
  // HTTP/1.0 clients get the chunked body de-chunked, delimited by the close.
  auto old = curl({"--http1.0", "-o", "/dev/null", "-w", "%{size_download}", url(port, "/chunked/100001")});
  EXPECT_EQ(old.out, "100001");
  auto echo = curl({"--data-binary", "round trip", url(port, "/echo")});
  EXPECT_EQ(echo.out, "round trip");
  // HEAD: the head only, the length kept.
  auto head = curl({"-I", url(port, "/bytes/1234")});
  EXPECT_NE(head.out.find("Content-Length: 1234"), std::string::npos) << head.out;
  // A body delimited by the target closing.
  auto until_close = curl({url(port, "/until-close")});
  EXPECT_EQ(until_close.out, "body until close from b1\n");
}

TEST(HttpProxy, AnswersBadGatewayUnavailableAndTimeout) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  uint16_t dead = free_port();  // nothing listens there
  std::string yaml =
      "workers: 1\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
      "\n    protocol: http\n    response_timeout: 300ms\n    rules:\n"
      "      - { match: { path: /dead/* }, forward: dead }\n      - { match: { path: /empty/* }, forward: empty }\n"
      "    default: { forward: app }\ntarget_groups:\n"
      "  - name: app\n    targets: [ { address: " + backend.address() + " } ]\n"
      "  - name: dead\n    targets: [ { address: 127.0.0.1:" + std::to_string(dead) + " } ]\n"
      "  - name: empty\n    targets: []\n";
  auto fulcrum = start_fulcrum(dir, yaml, port);
  auto code = [&](const std::string& path) {
    return curl({"-o", "/dev/null", "-w", "%{http_code}", url(port, path)}).out;
  };
  EXPECT_EQ(code("/malformed"), "502");  // two differing Content-Length from the target
  EXPECT_EQ(code("/dead/x"), "502");     // connection refused
  EXPECT_EQ(code("/empty/x"), "503");    // no target at all
  EXPECT_EQ(code("/slow/2000"), "504");
  EXPECT_EQ(code("/status/503"), "503");  // the target's own answer passes through
  EXPECT_EQ(code("/bytes/3"), "200");      // and the proxy is still fine
}

TEST(HttpProxy, SmugglingAttemptsAreRefusedAndNothingReachesTheTarget) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  auto cases = smuggling_cases();
  ASSERT_GE(cases.size(), 40u);
  for (const auto& c : cases) {
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    send_all(fd, c.request);
    auto started = std::chrono::steady_clock::now();
    std::string response = read_to_eof(fd, 3s);
    bool closed = std::chrono::steady_clock::now() - started < 3s;
    ::close(fd);
    EXPECT_EQ(status_of(response), c.status) << c.name << ": " << c.why << "\n" << response;
    EXPECT_TRUE(closed) << c.name << ": connection left open";
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(backend.count("accept "), 0u) << "the target received a connection: " << backend.process.output();
  // Still serving everyone else.
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", url(port, "/bytes/1")}).out, "200");
}

TEST(HttpProxy, DesyncModesActOnTheClassification) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  const std::string ambiguous = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n";
  const std::string acceptable = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
  for (const std::string mode : {"monitor", "defensive", "strictest"}) {
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}, "    desync_mode: " + mode + "\n"), port);
    // Ambiguous: forwarded then closed (monitor, defensive), refused (strictest).
    std::string response = raw_exchange(port, ambiguous + acceptable, 3s);
    if (mode == "strictest") {
      EXPECT_EQ(status_of(response), 400) << mode;
    } else {
      EXPECT_EQ(status_of(response), 200) << mode << response;
      EXPECT_NE(response.find("Connection: close"), std::string::npos) << mode;
      EXPECT_EQ(response.find("HTTP/1.1 200", 10), std::string::npos) << mode << ": the pipelined request was served";
    }
    // Acceptable (GET with Content-Length: 0): forwarded except in strictest mode.
    EXPECT_EQ(status_of(raw_exchange(port, acceptable + "\r\n", 1s)), mode == "strictest" ? 400 : 200) << mode;
  }
}

TEST(HttpProxy, SlowHeadersAndIdleClientsAreTimedOut) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, http_config(port, {backend.address()}, "    client_header_timeout: 300ms\n    idle_timeout: 500ms\n"), port);
  // Half a head, then nothing: 408 and closed.
  int fd = connect_to(port);
  send_all(fd, "GET / HTTP/1.1\r\nHost: a\r\n");
  auto started = std::chrono::steady_clock::now();
  std::string response = read_to_eof(fd, 3s);
  auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  EXPECT_EQ(status_of(response), 408) << response;
  EXPECT_LT(took, 2s);
  // A keep-alive client idle past idle_timeout is closed.
  fd = connect_to(port);
  send_all(fd, "GET /bytes/2 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(status_of(read_exact(fd, 12, 2s)), 200);
  EXPECT_TRUE(closed_within(fd, 3s));
  ::close(fd);
}

TEST(HttpProxy, PipelinedRequestsAreAnsweredInOrder) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  std::string requests;
  for (int i = 1; i <= 5; ++i) requests += "GET /slow/" + std::to_string(60 - i * 10) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  requests += "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfinal";
  requests += "GET /close HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::string response = raw_exchange(port, requests, 5s);
  size_t at = 0;
  for (int i = 1; i <= 5; ++i) {
    at = response.find("slow b1", at);
    ASSERT_NE(at, std::string::npos) << i << "\n" << response;
    ++at;
  }
  EXPECT_NE(response.find("final", at), std::string::npos) << response;
  EXPECT_NE(response.find("closing b1"), std::string::npos) << response;
}

TEST(HttpProxy, OneGibibyteUpAndDownWithFlatMemory) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  ASSERT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", url(port, "/bytes/1000")}).out, "200");
  const long before = rss_kib(fulcrum->pid());
  auto down = curl({"--max-time", "120", "-o", "/dev/null", "-w", "%{size_download}", url(port, "/bytes/1073741824")});
  EXPECT_EQ(down.out, "1073741824");
  const long after_down = rss_kib(fulcrum->pid());
  // Upload: curl reads the body from a pipe of zeroes (no 1 GiB file on disk).
  std::string script = "head -c 1073741824 /dev/zero | /usr/bin/curl -s --max-time 120 -T - " + url(port, "/sink") + " > " + dir.path() + "/up.out";
  ASSERT_EQ(std::system(script.c_str()), 0);
  std::ifstream in(dir.path() + "/up.out");
  std::string up((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(up, "received 1073741824\n");
  const long after_up = rss_kib(fulcrum->pid());
  std::printf("RSS KiB: before %ld, after 1 GiB down %ld, after 1 GiB up %ld\n", before, after_down, after_up);
  EXPECT_LT(after_down - before, 4096);
  EXPECT_LT(after_up - before, 4096);
}

}  // namespace http_proxy_test
}  // namespace fulcrum::testing

namespace fulcrum::testing {
namespace http_proxy_test {

TEST(HttpProxy, WebSocketUpgradeIsTunnelled) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  int fd = connect_to(port);
  std::string head = upgrade_to_websocket(fd);
  EXPECT_EQ(status_of(head), 101) << head;
  EXPECT_NE(head.find("Upgrade: websocket\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: upgrade\r\n"), std::string::npos) << head;
  // Frames go both ways untouched (the backend echoes); several round trips on one tunnel.
  for (int i = 0; i < 5; ++i) {
    std::string frame = "\x81\x05hello-" + std::to_string(i);
    send_all(fd, frame);
    EXPECT_EQ(read_exact(fd, frame.size(), 2s), frame);
  }
  ::shutdown(fd, SHUT_WR);
  EXPECT_TRUE(closed_within(fd, 3s));
  ::close(fd);
  EXPECT_TRUE(backend.process.wait_for_output("request GET /ws"));
  EXPECT_NE(backend.process.output().find("request GET /ws"), std::string::npos);
}

TEST(HttpProxy, TheEndOfADeregistrationDelayClosesTunnelsAndRequestsStillOnTheTarget) {
  TempDir dir;
  HttpBackend a(dir, "a"), b(dir, "b");
  uint16_t port = free_port();
  const std::string settings = "    deregistration_delay: 1s\n";
  auto config = [&](std::vector<std::string> targets) {
    return http_config(port, targets, "    response_timeout: 30s\n", settings);
  };
  auto fulcrum = start_fulcrum(dir, config({a.address()}), port);
  // A WebSocket tunnel and a slow request, both on target a.
  int tunnel = connect_to(port);
  std::string head = upgrade_to_websocket(tunnel);
  ASSERT_EQ(status_of(head), 101) << head;
  int slow = connect_to(port);
  send_all(slow, "GET /slow/20000 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(a.process.wait_for_output("request GET /slow/20000"));
  // Deregister a: both stay open through the delay...
  dir.write("fulcrum.yaml", config({b.address()}));
  fulcrum->signal(SIGHUP);
  const auto reloaded = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(300ms);
  const std::string frame = "\x81\x05hello";
  send_all(tunnel, frame);
  EXPECT_EQ(read_exact(tunnel, frame.size(), 2s), frame);
  EXPECT_EQ(curl({url(port, "/name")}).out.rfind("backend b\n", 0), 0u);  // new requests go to b
  // ...and are closed when it ends: the tunnel on both sides, the request with a 502.
  EXPECT_TRUE(closed_within(tunnel, 3s));
  const std::string answer = read_exact(slow, 12, 3s);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - reloaded);
  EXPECT_EQ(status_of(answer), 502) << answer;
  EXPECT_GE(waited, 900ms);
  EXPECT_LT(waited, 5000ms);
  ::close(tunnel);
  ::close(slow);
}

TEST(HttpProxy, ExpectContinueIsAnsweredBeforeTheBody) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}), port);
  int fd = connect_to(port);
  send_all(fd, "POST /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(read_exact(fd, 25, 2s), "HTTP/1.1 100 Continue\r\n\r\n");
  send_all(fd, "abcde");
  std::string response = read_exact(fd, 12, 2s);
  EXPECT_EQ(status_of(response), 200) << response;
  ::close(fd);
  // curl waits for the 100 (no 1 s expect timeout) and gets its answer.
  auto started = std::chrono::steady_clock::now();
  auto r = curl({"-H", "Expect: 100-continue", "--data-binary", std::string(2000, 'x'),
                 "http://127.0.0.1:" + std::to_string(port) + "/sink"});
  EXPECT_EQ(r.out, "received 2000\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);
}

TEST(HttpProxy, IdempotentRequestsAreRetriedOnAnotherTarget) {
  TempDir dir;
  HttpBackend good(dir, "good");
  HttpBackend dropping(dir, "dropping", {"--drop-requests"});
  uint16_t port = free_port();
  // Passive ejection off: this test counts which target each request reaches.
  auto fulcrum = start_fulcrum(
      dir, http_config(port, {dropping.address(), good.address()}, "", "    outlier_detection: { enabled: false }\n"), port);
  for (int i = 0; i < 4; ++i) {
    auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/bytes/5"});
    EXPECT_EQ(r.out, "200") << i;
  }
  EXPECT_GE(dropping.count("request GET /bytes/5"), 1u);  // it was tried, and the client never knew
  EXPECT_EQ(good.count("request GET /bytes/5"), 4u);
  // A POST is not repeated: whoever dropped it answers 502.
  int bad_gateways = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "-d", "x", "http://127.0.0.1:" + std::to_string(port) + "/echo"});
    bad_gateways += r.out == "502";
  }
  EXPECT_EQ(bad_gateways, 2);
  EXPECT_EQ(dropping.count("request POST /echo"), 2u);
}

}  // namespace http_proxy_test
}  // namespace fulcrum::testing

namespace fulcrum::testing {
namespace http_proxy_test {

TEST(HttpProxy, BodiesOverMaxBodyBytesGet413) {
  TempDir dir;
  HttpBackend backend(dir, "b1");
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, http_config(port, {backend.address()}, "    max_body_bytes: 1KiB\n"), port);
  auto code = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "/dev/null", "-w", "%{http_code}"});
    args.push_back("http://127.0.0.1:" + std::to_string(port) + "/sink");
    return curl(args).out;
  };
  EXPECT_EQ(code({"--data-binary", std::string(1024, 'a')}), "200");
  EXPECT_EQ(code({"--data-binary", std::string(1025, 'a')}), "413");  // Content-Length: refused before any byte is sent
  EXPECT_EQ(code({"-H", "Transfer-Encoding: chunked", "--data-binary", std::string(5000, 'a')}), "413");
  EXPECT_EQ(backend.count("request POST /sink body=1024"), 1u);
  EXPECT_EQ(backend.count("request POST /sink body=1025"), 0u);
}

TEST(HttpProxy, TargetAnswering5xxIsEjectedByPassiveHealth) {
  TempDir dir;
  HttpBackend good(dir, "good");
  HttpBackend bad(dir, "bad", {"--always-status", "500"});
  uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir,
      http_config(port, {bad.address(), good.address()}, "",
                  "    outlier_detection: { consecutive_failures: 3, base_ejection_time: 30s, max_ejection_percent: 50 }\n"),
      port);
  int errors = 0;
  for (int i = 0; i < 6; ++i) {
    errors += curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"}).out == "500";
  }
  EXPECT_EQ(errors, 3);  // round robin: every other request, until the third 5xx in a row
  std::this_thread::sleep_for(400ms);  // the control thread's outlier tick (100 ms) and publication
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"}).out, "200")
        << i;
  }
  EXPECT_EQ(bad.count("request GET /"), 3u);
}

}  // namespace http_proxy_test
}  // namespace fulcrum::testing
