// HTTP/2 toward clients, with real clients against the real binary: curl (prior knowledge on
// http, ALPN on https), nghttp, h2load and openssl; the listener keys that turn it off or bound
// it; rules, fixed responses, redirects and rate limits on streams; bodies both ways; GOAWAY when
// draining and when idle; and the h2c upgrade of HTTP/1.1, which must never reach a target.
// Stickiness, ejection and draining run for h2c and h2 in http_feature_matrix_test.cpp, every
// algorithm in algorithm_matrix_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <utility>
#include <vector>
#include <sstream>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "http_harness.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace http2_test {

// One HTTP/2 frame as received on a raw socket.
struct RawFrame {
  uint8_t type = 0;
  uint32_t stream = 0;
  std::string payload;
};

// Reads frames from `fd` until `done(frames)` says so, the peer closes, or `timeout` passes.
// Returns them with whether the peer closed.
std::pair<std::vector<RawFrame>, bool> read_frames(int fd, std::chrono::milliseconds timeout,
                                                   const std::function<bool(const std::vector<RawFrame>&)>& done) {
  std::vector<RawFrame> frames;
  std::string received;
  char buffer[16384];
  timeval tv{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() < deadline && !done(frames)) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) closed = true;
    if (n > 0) received.append(buffer, static_cast<size_t>(n));
    while (received.size() >= 9) {
      const size_t length = (static_cast<size_t>(static_cast<uint8_t>(received[0])) << 16) |
                            (static_cast<size_t>(static_cast<uint8_t>(received[1])) << 8) |
                            static_cast<uint8_t>(received[2]);
      if (received.size() < 9 + length) break;
      RawFrame frame;
      frame.type = static_cast<uint8_t>(received[3]);
      frame.stream = (static_cast<uint32_t>(static_cast<uint8_t>(received[5]) & 0x7f) << 24) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(received[6])) << 16) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(received[7])) << 8) |
                     static_cast<uint8_t>(received[8]);
      frame.payload = received.substr(9, length);
      frames.push_back(std::move(frame));
      received.erase(0, 9 + length);
    }
  }
  return {frames, closed};
}

bool has_frame(const std::vector<RawFrame>& frames, uint8_t type, uint32_t stream) {
  return std::any_of(frames.begin(), frames.end(),
                     [&](const RawFrame& f) { return f.type == type && f.stream == stream; });
}

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr uint8_t kHeaders = 0x1, kRstStream = 0x3, kGoaway = 0x7;

class Http2 : public ::testing::Test {
 protected:
  // An http listener (h2c) and an https listener (h2 by ALPN) to one backend; `extra` goes into
  // both listeners, `rules` into both too.
  void start(const std::string& extra = "", const std::string& rules = "", const std::string& top = "",
             bool legacy_tls = false) {
    backend_ = std::make_unique<HttpBackend>(dir_, "a");
    pki_ = std::make_unique<TestPki>(dir_);
    plain_ = free_port();
    secure_ = free_port();
    std::string tls = https_listener_tls(*pki_);
    if (legacy_tls) tls.replace(tls.find("tls: { "), 7, "tls: { policy: legacy, ");
    const std::string common = extra + (rules.empty() ? "" : "    rules:\n" + rules) + "    default: { forward: app }\n";
    const std::string yaml = top + "listeners:\n  - name: plain\n    listen: 127.0.0.1:" + std::to_string(plain_) +
                             "\n    protocol: http\n" + common + "  - name: secure\n    listen: 127.0.0.1:" +
                             std::to_string(secure_) + "\n    protocol: https\n" + tls + common +
                             "target_groups:\n  - name: app\n    targets: [ { address: " + backend_->address() + " } ]\n";
    fulcrum_ = start_fulcrum(dir_, yaml, plain_);
    ASSERT_TRUE(fulcrum_->wait_for_output("fulcrum.start", 10s, true)) << fulcrum_->errors();
  }
  std::string plain_url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(plain_) + path; }
  std::string secure_url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(secure_) + path; }

  TempDir dir_;
  std::unique_ptr<HttpBackend> backend_;
  std::unique_ptr<TestPki> pki_;
  uint16_t plain_ = 0, secure_ = 0;
  std::unique_ptr<Process> fulcrum_;
};

TEST_F(Http2, CurlSpeaksHttp2ByPriorKnowledgeAndByAlpnAndTheLogSaysSo) {
  start();
  auto h2c = curl({"--http2-prior-knowledge", "-w", "\n%{http_version}", plain_url("/hello")});
  EXPECT_EQ(h2c.out.rfind("backend a", 0), 0u) << h2c.out;
  EXPECT_EQ(h2c.out.substr(h2c.out.rfind('\n') + 1), "2");
  auto h2 = curl({"-k", "--http2", "-w", "\n%{http_version}", secure_url("/hello")});
  EXPECT_EQ(h2.out.rfind("backend a", 0), 0u) << h2.out;
  EXPECT_EQ(h2.out.substr(h2.out.rfind('\n') + 1), "2");
  // An HTTP/1.1 client on the same listeners is served as before.
  auto h1 = curl({"-k", "--http1.1", "-w", "\n%{http_version}", secure_url("/hello"), plain_url("/hello")});
  EXPECT_EQ(h1.out.substr(h1.out.rfind('\n') + 1), "1.1");
  // Four access lines, each naming its listener, Host and protocol (the last field): all four,
  // whole, once the access log's writer thread has written them.
  ASSERT_TRUE(wait_for_count(*fulcrum_, "http.request", 4)) << fulcrum_->output();
  std::istringstream lines(fulcrum_->output());
  std::vector<std::string> seen;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("http.request") == std::string::npos) continue;
    const size_t start = line.find("listener=");
    seen.push_back(line.substr(start, line.find(" path=") - start) + " " +
                   line.substr(line.rfind("protocol=")));
  }
  const std::string secure_host = "listener=secure client=127.0.0.1 method=GET host=127.0.0.1:" + std::to_string(secure_);
  const std::string plain_host = "listener=plain client=127.0.0.1 method=GET host=127.0.0.1:" + std::to_string(plain_);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), plain_host + " protocol=HTTP/2.0"), 1) << fulcrum_->output();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), secure_host + " protocol=HTTP/2.0"), 1) << fulcrum_->output();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), secure_host + " protocol=HTTP/1.1"), 1) << fulcrum_->output();
  // The backend saw HTTP/1.1 requests with the client's Host.
  EXPECT_NE(h2c.out.find("GET /hello HTTP/1.1\r\n"), std::string::npos) << h2c.out;
}

// /metrics counts HTTP/2 requests as it counts HTTP/1.1 ones: per listener and per group.
TEST_F(Http2, MetricsCountEachStream) {
  start();
  auto load = run_captured({"/usr/bin/h2load", "-n", "40", "-c", "2", "-m", "5", plain_url("/")}, "/dev/null", true);
  ASSERT_NE(load.out.find("40 succeeded"), std::string::npos) << load.out;
  auto tls = run_captured({"/usr/bin/h2load", "-n", "30", "-c", "1", "-m", "5", secure_url("/")}, "/dev/null", true);
  ASSERT_NE(tls.out.find("30 succeeded"), std::string::npos) << tls.out;
  const std::string admin = admin_address(*fulcrum_);
  auto metrics = curl({"http://" + admin + "/metrics"});
  EXPECT_NE(metrics.out.find("fulcrum_listener_requests_total{listener=\"plain\",code_class=\"2xx\"} 40\n"),
            std::string::npos)
      << metrics.out;
  EXPECT_NE(metrics.out.find("fulcrum_listener_requests_total{listener=\"secure\",code_class=\"2xx\"} 30\n"),
            std::string::npos);
  EXPECT_NE(metrics.out.find("fulcrum_group_requests_total{group=\"app\",code_class=\"2xx\"} 70\n"), std::string::npos);
}

// The same requests in HTTP/2 (h2c on `plain`) and in HTTP/1.1 (over TLS on `secure`) are
// counted alike: in /metrics per listener, group and target, and in the admin API the dashboard
// polls (totals, open connections, and the sampler's latency window). The HTTP/2 connection is
// counted once, though the HTTP/1.1 session that accepted it handed it over.
TEST_F(Http2, MetricsAndTheDashboardsDataCountStreamsLikeHttp11Requests) {
  start();
  constexpr int kEach = 8;
  // One connection each, its requests one after another (h2load; curl 7.88 cannot reuse an h2c
  // connection: curl/curl#10634).
  auto load = [&](const std::string& protocol, const std::string& url) {
    std::vector<std::string> argv{"/usr/bin/h2load", "-n", std::to_string(kEach), "-c", "1", "-m", "1", url};
    if (protocol == "http/1.1") argv.insert(argv.begin() + 1, "--h1");
    auto r = run_captured(argv, "/dev/null", true);
    EXPECT_NE(r.out.find("Application protocol: " + protocol), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::to_string(kEach) + " succeeded"), std::string::npos) << r.out;
  };
  const std::string admin = "http://" + admin_address(*fulcrum_);
  auto metrics = [&] { return curl({admin + "/metrics"}).out; };
  auto connections = [&](const std::string& text, const std::string& listener) {
    return metric_sample(text, "fulcrum_listener_connections_total{listener=\"" + listener + "\"}");
  };
  const std::string before = metrics();  // start_fulcrum's readiness probe was a connection
  load("h2c", plain_url("/bytes/100"));
  load("http/1.1", secure_url("/bytes/100"));

  const std::string target = "group=\"app\",target=\"" + backend_->address() + "\"";
  std::string m = metrics();
  for (const std::string listener : {"plain", "secure"}) {
    SCOPED_TRACE(listener);
    const std::string l = "listener=\"" + listener + "\"";
    EXPECT_EQ(metric_sample(m, "fulcrum_listener_requests_total{" + l + ",code_class=\"2xx\"}"), kEach) << m;
    EXPECT_EQ(metric_sample(m, "fulcrum_listener_request_duration_seconds_count{" + l + "}"), kEach);
    EXPECT_GE(metric_sample(m, "fulcrum_listener_bytes_out_total{" + l + "}"), kEach * 100);
    EXPECT_EQ(connections(m, listener) - connections(before, listener), 1);
  }
  EXPECT_EQ(metric_sample(m, "fulcrum_group_requests_total{group=\"app\",code_class=\"2xx\"}"), 2 * kEach);
  EXPECT_EQ(metric_sample(m, "fulcrum_target_requests_total{" + target + ",code_class=\"2xx\"}"), 2 * kEach) << m;
  EXPECT_EQ(metric_sample(m, "fulcrum_target_request_duration_seconds_count{" + target + "}"), 2 * kEach);
  EXPECT_GE(metric_sample(m, "fulcrum_target_bytes_out_total{" + target + "}"), 2 * kEach * 100);
  // Both clients are gone: no connection is left open, the HTTP/2 one included.
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    m = metrics();
    closed = metric_sample(m, "fulcrum_listener_active_connections{listener=\"plain\"}") == 0 &&
             metric_sample(m, "fulcrum_listener_active_connections{listener=\"secure\"}") == 0;
    if (!closed) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(closed) << m;

  // The dashboard's data: each listener's totals and open connections, the target's totals, and
  // the latency window the sampler fills once a second.
  auto get_json = [&](const std::string& path) {
    return nlohmann::json::parse(curl({admin + path}).out, nullptr, false);
  };
  nlohmann::json listeners, group;
  auto window = [](const nlohmann::json& object) { return object["latency_ms"]["window_requests"]; };
  bool sampled = false;
  for (int i = 0; i < 50 && !sampled; ++i) {
    listeners = get_json("/api/v1/listeners");
    group = get_json("/api/v1/target-groups/app");
    sampled = listeners.is_array() && listeners.size() == 2 && group.is_object() && group["targets"].size() == 1 &&
              window(listeners[0]) == kEach && window(listeners[1]) == kEach && window(group["targets"][0]) == 2 * kEach;
    if (!sampled) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(sampled) << listeners.dump() << group.dump();
  for (const auto& listener : listeners) {
    SCOPED_TRACE(listener["name"].get<std::string>());
    EXPECT_EQ(listener["totals"]["requests"]["2xx"], kEach);
    EXPECT_EQ(listener["totals"]["connections"], connections(m, listener["name"]));
    EXPECT_EQ(listener["active_connections"], 0);
    EXPECT_FALSE(listener["latency_ms"]["p99"].is_null());
  }
  const auto& t = group["targets"][0];
  EXPECT_EQ(t["totals"]["requests"]["2xx"], 2 * kEach);
  EXPECT_FALSE(t["latency_ms"]["p99"].is_null());
}

TEST_F(Http2, NghttpAndH2loadStreamsAllSucceed) {
  start();
  for (const std::string& url : {plain_url("/"), secure_url("/")}) {
    auto nghttp = run_captured({"/usr/bin/nghttp", "-n", "-s", "-m", "20", url}, "/dev/null", true);
    EXPECT_EQ(nghttp.exit_code, 0) << nghttp.out;
    auto load = run_captured({"/usr/bin/h2load", "-n", "2000", "-c", "4", "-m", "10", url}, "/dev/null", true);
    EXPECT_NE(load.out.find("2000 succeeded, 0 failed, 0 errored"), std::string::npos) << load.out;
    EXPECT_NE(load.out.find("status codes: 2000 2xx"), std::string::npos) << load.out;
  }
}

TEST_F(Http2, BodiesGoBothWaysWhateverTheirLength) {
  start();
  const std::string upload = dir_.write("upload.bin", std::string(1 << 20, 'u'));
  for (const std::string version : {"--http2-prior-knowledge", "--http2"}) {
    const bool tls = version == "--http2";
    const std::string url = tls ? secure_url("/sink") : plain_url("/sink");
    // With a content-length.
    auto sized = curl({"-k", version, "--data-binary", "@" + upload, url});
    EXPECT_NE(sized.out.find("received 1048576"), std::string::npos) << sized.out;
    // Without one (curl streams stdin): the target gets it chunked.
    auto streamed = run_captured({"/usr/bin/curl", "-s", "-k", version, "-X", "POST", "-T", "-", url}, upload, false);
    EXPECT_NE(streamed.out.find("received 1048576"), std::string::npos) << streamed.out;
    // A large answer through the client's flow-control window, and a chunked one.
    auto large = curl({"-k", version, "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                       (tls ? secure_url("/bytes/3000000") : plain_url("/bytes/3000000"))});
    EXPECT_EQ(large.out, "200 3000000");
    auto chunked = curl({"-k", version, "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                         (tls ? secure_url("/chunked/100000") : plain_url("/chunked/100000"))});
    EXPECT_EQ(chunked.out, "200 100000");
  }
}

TEST_F(Http2, RulesRedirectsFixedResponsesAndRateLimitsApplyToEachStream) {
  start("    security:\n      rate_limit: { requests_per_second: 1, burst: 5 }\n",
        "      - name: moved\n        match: { path: /moved }\n        redirect: { status: 307, path: /here }\n"
        "      - name: teapot\n        match: { path: /teapot }\n"
        "        fixed_response: { status: 418, content_type: text/plain, body: \"tea\\n\" }\n");
  auto moved = curl({"--http2-prior-knowledge", "-i", plain_url("/moved")});
  EXPECT_EQ(moved.out.rfind("HTTP/2 307", 0), 0u) << moved.out;
  EXPECT_NE(moved.out.find("location: http://127.0.0.1:" + std::to_string(plain_) + "/here"), std::string::npos)
      << moved.out;
  auto teapot = curl({"-k", "--http2", "-w", "%{http_code}", secure_url("/teapot")});
  EXPECT_EQ(teapot.out, "tea\n418");
  // 20 requests on one connection: the bucket (burst 5) holds for a few, then streams get 429
  // (h2load counts a 4xx as failed) and the connection goes on.
  auto load = run_captured({"/usr/bin/h2load", "-n", "20", "-c", "1", "-m", "1", plain_url("/x")}, "/dev/null", true);
  EXPECT_NE(load.out.find("20 done"), std::string::npos) << load.out;
  unsigned ok = 0, limited = 0;
  const size_t codes = load.out.find("status codes: ");
  ASSERT_NE(codes, std::string::npos) << load.out;
  ASSERT_EQ(std::sscanf(load.out.c_str() + codes, "status codes: %u 2xx, 0 3xx, %u 4xx", &ok, &limited), 2) << load.out;
  EXPECT_GE(ok, 1u);
  EXPECT_LE(ok, 7u);
  EXPECT_EQ(ok + limited, 20u) << load.out;
  EXPECT_TRUE(fulcrum_->wait_for_output("security.rate_limited", 2s, true)) << fulcrum_->errors();
}

// Pattern rules judge each stream's HTTP/1.1 form (path, headers, body) as they judge an
// HTTP/1.1 request; a blocked stream is answered 403 and the connection serves on.
TEST_F(Http2, WafBlocksAStreamAndTheConnectionServesOn) {
  start("    security:\n      waf_default_rules: true\n      waf:\n"
        "        - { id: no-admin, pattern: '^/admin', targets: [path], message: \"admin is internal\" }\n");
  for (const bool tls : {false, true}) {
    auto url = [&](const std::string& path) { return tls ? secure_url(path) : plain_url(path); };
    // Three streams on one connection (nghttp): blocked, passed, passed.
    auto streams = run_captured({"/usr/bin/nghttp", "-n", "-s", url("/admin/users"), url("/index.html"),
                                 url("/search?q=O'Brien")},
                                "/dev/null", true);
    EXPECT_NE(streams.out.find("403"), std::string::npos) << streams.out;
    size_t ok = 0;
    for (size_t at = 0; (at = streams.out.find(" 200 ", at)) != std::string::npos; ++at) ++ok;
    EXPECT_EQ(ok, 2u) << streams.out;
    // A body rule.
    auto body = curl({"-k", tls ? "--http2" : "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                      "--data-binary", "user=x' or 1=1 --", url("/login")});
    EXPECT_EQ(body.out, "403");
  }
  EXPECT_EQ(backend_->count("request GET /admin"), 0u);
  EXPECT_EQ(backend_->count("request POST /login"), 0u);
  EXPECT_TRUE(fulcrum_->wait_for_output("rule=no-admin", 2s, true)) << fulcrum_->errors();
}

TEST_F(Http2, MaxConcurrentStreamsIsWhatTheListenerSays) {
  start("    max_concurrent_streams: 7\n");
  auto nghttp = run_captured({"/usr/bin/nghttp", "-v", "-n", plain_url("/")}, "/dev/null", true);
  EXPECT_NE(nghttp.out.find("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):7]"), std::string::npos) << nghttp.out;
  EXPECT_EQ(nghttp.out.find("ENABLE_CONNECT_PROTOCOL"), std::string::npos) << nghttp.out;  // no RFC 8441
}

TEST_F(Http2, Http2FalseTurnsItOffOnBothListeners) {
  start("    http2: false\n");
  // https: ALPN offers http/1.1 only.
  auto h2 = curl({"-k", "--http2", "-w", "%{http_version}", "-o", "/dev/null", secure_url("/")});
  EXPECT_EQ(h2.out, "1.1");
  // http: the preface is not recognised; the HTTP/1.1 parser refuses "PRI * HTTP/2.0".
  auto h2c = curl({"--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", plain_url("/")});
  EXPECT_NE(h2c.out, "200");
  EXPECT_EQ(backend_->count("request GET"), 1u);  // the https request, in HTTP/1.1
}

// RFC 9113 §9.2: no h2 over TLS 1.2 with a prohibited (non-AEAD) suite, which `policy: legacy`
// allows; the client falls back to http/1.1. With an AEAD suite it gets h2.
TEST_F(Http2, AlpnChoosesHttp11WhenTheCipherIsOneHttp2Forbids) {
  start("", "", "", true);
  auto alpn = [&](const std::string& cipher) {
    auto r = run_captured({"/usr/bin/openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(secure_), "-tls1_2",
                           "-cipher", cipher, "-alpn", "h2,http/1.1"},
                          "/dev/null", true);
    const size_t at = r.out.find("ALPN protocol: ");
    return at == std::string::npos ? r.out : r.out.substr(at + 15, r.out.find('\n', at) - at - 15);
  };
  EXPECT_EQ(alpn("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"), "http/1.1");
  EXPECT_EQ(alpn("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"), "h2");
}

// An HTTP/1.1 client asking to upgrade to h2c must not reach a target that would accept: the
// target would then take requests no rule, limit or WAF ever saw. Only WebSocket is tunnelled.
TEST_F(Http2, UpgradeToH2cIsNeverForwarded) {
  start();
  const std::string response =
      raw_exchange(plain_, "GET /echo-head HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
                           "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 0\r\n\r\n",
                   3s);
  EXPECT_EQ(status_of(response), 200) << response;
  EXPECT_EQ(backend_->count("upgrade h2c"), 0u);
  // The target saw neither field (its answer echoes the head it received).
  EXPECT_EQ(response.find("h2c"), std::string::npos) << response;
  EXPECT_EQ(response.find("HTTP2-Settings"), std::string::npos) << response;
  // The backend does take the upgrade when asked directly: the test can fail.
  const std::string direct = raw_exchange(backend_->port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                                          "Upgrade: h2c\r\n\r\n",
                                          3s);
  EXPECT_EQ(status_of(direct), 101) << direct;
}

// Stop: GOAWAY goes out, the stream under way finishes, then the process exits.
TEST_F(Http2, DrainingSendsGoawayAndLetsStreamsUnderWayFinish) {
  start("", "", "shutdown_timeout: 10s\n");
  Process client({"/usr/bin/nghttp", "-v", plain_url("/slow/1500")}, dir_.path(), "nghttp");
  ASSERT_TRUE(backend_->process.wait_for_output("request GET /slow/1500", 5s)) << backend_->process.output();
  fulcrum_->signal(SIGTERM);
  ASSERT_TRUE(client.wait(10s).has_value());
  const std::string out = client.output();
  EXPECT_NE(out.find("recv GOAWAY frame"), std::string::npos) << out;
  EXPECT_NE(out.find(":status: 200"), std::string::npos) << out;
  EXPECT_TRUE(fulcrum_->wait(10s).has_value());
}

// Reload: connections opened under the old configuration get GOAWAY (clients reconnect and
// take the new settings); the stream under way finishes.
TEST_F(Http2, ReloadSendsGoawayAndLetsStreamsUnderWayFinish) {
  start();
  Process client({"/usr/bin/nghttp", "-v", plain_url("/slow/1500")}, dir_.path(), "nghttp");
  ASSERT_TRUE(backend_->process.wait_for_output("request GET /slow/1500", 5s)) << backend_->process.output();
  fulcrum_->signal(SIGHUP);
  ASSERT_TRUE(client.wait(10s).has_value());
  const std::string out = client.output();
  EXPECT_NE(out.find("recv GOAWAY frame"), std::string::npos) << out;
  EXPECT_NE(out.find(":status: 200"), std::string::npos) << out;
  // The process serves on: a new connection is answered.
  auto after = curl({"--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", plain_url("/")});
  EXPECT_EQ(after.out, "200");
}

// A connection that sends the preface and nothing more gets GOAWAY and a close when
// client_header_timeout passes; one idle after its streams, when idle_timeout passes.
TEST_F(Http2, IdleAndSilentConnectionsEndWithGoaway) {
  start("    client_header_timeout: 300ms\n    idle_timeout: 300ms\n");
  const int fd = connect_to(plain_);
  const std::string preface = std::string(kPreface) + std::string("\0\0\0\4\0\0\0\0\0", 9);  // and SETTINGS
  ASSERT_EQ(::send(fd, preface.data(), preface.size(), 0), static_cast<ssize_t>(preface.size()));
  const auto [frames, closed] = read_frames(fd, 5s, [](const std::vector<RawFrame>&) { return false; });
  ::close(fd);
  EXPECT_TRUE(closed) << "not closed within 5 s";
  EXPECT_TRUE(has_frame(frames, kGoaway, 0));
}

// send_timeout: a client that never opens its window (HTTP/2) gets its stream reset, and one
// that never reads its socket (HTTP/1.1) loses the connection, once the timeout passes.
TEST_F(Http2, SlowReadersAreCutOffAfterSendTimeout) {
  start("    send_timeout: 500ms\n");
  // HTTP/2: SETTINGS with INITIAL_WINDOW_SIZE 0, then a request for 10 MB: HEADERS can come,
  // DATA cannot.
  const int fd = connect_to(plain_);
  std::string out = std::string(kPreface) + std::string("\0\0\x06\x04\0\0\0\0\0" "\0\x04\0\0\0\0", 15);
  // HEADERS on stream 1 (END_STREAM | END_HEADERS): :method GET and :scheme http indexed (static
  // 2 and 6), :path and :authority as literals with indexed names (4 and 1).
  const std::string path = "/bytes/10000000";
  std::string block = "\x82\x86";
  block += '\x04';
  block += static_cast<char>(path.size());
  block += path;
  block += std::string("\x01\x01" "a", 3);
  out += std::string{'\0', '\0', static_cast<char>(block.size()), '\x01', '\x05', '\0', '\0', '\0', '\x01'};
  out += block;
  ASSERT_EQ(::send(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
  const auto [frames, closed] =
      read_frames(fd, 5s, [](const std::vector<RawFrame>& f) { return has_frame(f, kRstStream, 1); });
  ::close(fd);
  EXPECT_TRUE(has_frame(frames, kHeaders, 1)) << "no response head";
  EXPECT_TRUE(has_frame(frames, kRstStream, 1)) << "no reset within 5 s";

  // HTTP/1.1: a 50 MB answer to a client that reads nothing.
  const int h1 = connect_to(plain_);
  int small = 4096;
  ::setsockopt(h1, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const std::string get = "GET /bytes/50000000 HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(::send(h1, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  ASSERT_TRUE(fulcrum_->wait_for_output("path=/bytes/50000000", 5s)) << "the exchange did not end";
  // Fulcrum let the connection go while this client still holds it. (Reading it to its end would
  // take a minute and a half: the megabytes already in the kernel's buffers trickle through the
  // 4 KB window.)
  const std::string metrics_url = "http://" + admin_address(*fulcrum_) + "/metrics";
  const std::string none_open = "fulcrum_listener_active_connections{listener=\"plain\"} 0\n";
  std::string metrics;
  for (const auto deadline = std::chrono::steady_clock::now() + 3s; std::chrono::steady_clock::now() < deadline;) {
    metrics = curl({metrics_url}).out;
    if (metrics.find(none_open) != std::string::npos) break;
  }
  EXPECT_NE(metrics.find(none_open), std::string::npos) << metrics;
  ::close(h1);
}


// HTTP/2 requests that would split or smuggle a request once written as HTTP/1.1 (content-length
// against DATA, transfer-encoding, connection-specific fields, CR/LF/NUL, upper-case names, bad
// :path, no authority, ...): each is refused on its stream and the target sees no connection at
// all. tests/conformance/h2/smuggling.py sends them as raw frames.
TEST_F(Http2, SmugglingShapesAreRefusedBeforeAnyByteReachesATarget) {
  start();
  const std::string script = std::string(FULCRUM_SOURCE_DIR) + "/tests/conformance/h2/smuggling.py";
  for (const bool tls : {false, true}) {
    std::vector<std::string> argv{"/usr/bin/python3", script, "--port", std::to_string(tls ? secure_ : plain_)};
    if (tls) argv.push_back("--tls");
    auto r = run_captured(argv, "/dev/null", true);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("refused 22 of 22"), std::string::npos) << r.out;
  }
  EXPECT_EQ(backend_->count("accept"), 0u) << backend_->process.output();
}

// Our h2spec-like conformance suite (tests/conformance/h2: 147 cases of raw frames, each with
// the h2spec ID it mirrors) against both listeners: every case must pass.
TEST_F(Http2, ConformanceSuitePassesOnH2cAndH2) {
  start();
  const std::string suite = std::string(FULCRUM_SOURCE_DIR) + "/tests/conformance/h2/h2conformance.py";
  for (const bool tls : {false, true}) {
    std::vector<std::string> argv{"/usr/bin/python3", suite, "--host", "127.0.0.1", "--port",
                                  std::to_string(tls ? secure_ : plain_)};
    if (tls) argv.push_back("--tls");
    auto r = run_captured(argv, "/dev/null", true);
    EXPECT_EQ(r.exit_code, 0) << (tls ? "h2: " : "h2c: ") << r.out;
    EXPECT_NE(r.out.find("passed 147 of 147"), std::string::npos) << r.out;
  }
}

}  // namespace http2_test
}  // namespace fulcrum::testing
