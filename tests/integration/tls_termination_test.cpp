// TLS termination on `protocol: https` listeners, end to end: the real binary, certificates
// made by `openssl` during the test, `openssl s_client` and curl as clients, the HTTP test
// backend behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"
#include "tls_client.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace tls_termination_test {

struct Site {
  std::vector<CertFiles> certificates;
  std::string policy = "intermediate";
  std::string tls_extra;       // more keys under tls:
  std::string listener_extra;  // more keys under the listener
  int workers = 1;
};

std::string https_config(uint16_t port, const std::string& backend, const Site& site) {
  std::string yaml = "workers: " + std::to_string(site.workers) +
                     "\nshutdown_timeout: 1s\nlisteners:\n  - name: secure\n    listen: 127.0.0.1:" +
                     std::to_string(port) + "\n    protocol: https\n" + site.listener_extra +
                     "    tls:\n      policy: " + site.policy + "\n" + site.tls_extra + "      certificates:\n";
  for (const auto& c : site.certificates) yaml += "        - { cert: " + c.cert + ", key: " + c.key + " }\n";
  yaml += "    default: { forward: app }\ntarget_groups:\n  - name: app\n    targets:\n      - { address: " + backend +
          " }\n";
  return yaml;
}

std::vector<std::string> sni(const std::string& name) { return {"-servername", name}; }

// What most tests here stand on: a temp dir, a test PKI, one HTTP backend, and an https
// listener (`site`, filled in by the test) in front of it, started by start().
struct HttpsSite {
  TempDir dir;
  TestPki pki{dir};
  HttpBackend backend{dir, "b1"};
  Site site;
  uint16_t port = 0;
  std::unique_ptr<Process> fulcrum;

  // The usual certificate: CN www, for www.example.test.
  CertFiles www(const std::string& kind = "ec") const { return pki.leaf("www", "www", {"www.example.test"}, kind); }

  // Starts fulcrum with `site` on a free port; again: stops the running one first, then starts
  // anew on another port.
  Process& start() {
    fulcrum.reset();
    port = free_port();
    fulcrum = start_fulcrum(dir, https_config(port, backend.address(), site), port);
    return *fulcrum;
  }

  // "www.example.test:PORT", the name curl asks for.
  std::string host() const { return "www.example.test:" + std::to_string(port); }
  // curl trusting the test root, with host() resolved to 127.0.0.1, then `args`.
  CommandResult curl_www(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"--cacert", pki.root(), "--resolve", host() + ":127.0.0.1"};
    all.insert(all.end(), args.begin(), args.end());
    return curl(all);
  }
};

TEST(TlsTermination, SniPicksTheCertificateAndTheFirstIsTheDefault) {
  HttpsSite s;
  const TestPki& pki = s.pki;
  s.site.certificates = {pki.leaf("default", "default", {}),  // CN only
                         s.www(),
                         pki.leaf("wild", "wild", {"*.example.test"}, "rsa"),
                         pki.leaf("api", "api", {"api.other.test", "API2.other.test"})};
  Process& fulcrum = s.start();
  const uint16_t port = s.port;

  EXPECT_EQ(peer_common_name(s_client(port, sni("www.example.test")).out), "www");
  EXPECT_EQ(peer_common_name(s_client(port, sni("WWW.Example.TEST")).out), "www");
  EXPECT_EQ(peer_common_name(s_client(port, sni("shop.example.test")).out), "wild");
  EXPECT_EQ(peer_common_name(s_client(port, sni("api2.other.test")).out), "api");
  EXPECT_EQ(peer_common_name(s_client(port, sni("unknown.test")).out), "default");
  EXPECT_EQ(peer_common_name(s_client(port, {"-noservername"}).out), "default");

  // The chain goes with the leaf: a client that trusts only the root verifies it.
  auto verified = s_client(port, {"-servername", "www.example.test", "-CAfile", pki.root(), "-verify_return_error",
                                  "-verify_hostname", "www.example.test"});
  EXPECT_NE(verified.out.find("Verify return code: 0 (ok)"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("CN = Fulcrum Test Intermediate"), std::string::npos) << verified.out;

  // The log names what was loaded.
  EXPECT_TRUE(fulcrum.wait_for_output("tls.certificates_loaded", 2s, true)) << fulcrum.errors();
  EXPECT_NE(fulcrum.errors().find("certificates=4"), std::string::npos) << fulcrum.errors();
}

TEST(TlsTermination, HttpsRequestsReachTheBackendWithForwardedProtoAndKeepAlive) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.start();
  const std::string host = s.host();
  auto r = s.curl_www({"-i", "https://" + host + "/headers"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(status_of(r.out), 200) << r.out;
  EXPECT_NE(r.out.find("X-Forwarded-Proto: https\r\n"), std::string::npos) << r.out;

  // Twenty requests on one TLS connection (curl verifies the chain against the root each time).
  std::vector<std::string> args{"-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n"};
  for (int i = 0; i < 20; ++i) args.push_back("https://" + host + "/bytes/20000");
  auto many = s.curl_www(args);
  ASSERT_EQ(many.exit_code, 0) << many.out;
  EXPECT_EQ(many.out.find("200 1\n"), 0u) << many.out;
  size_t reused = 0;
  for (size_t at = 0; (at = many.out.find("200 0\n", at)) != std::string::npos; ++at) ++reused;
  EXPECT_EQ(reused, 19u) << many.out;

  // A POST body through TLS both ways.
  std::string body(100000, 'x');
  auto post = s.curl_www({"-o", "/dev/null", "-w", "%{http_code}", "--data-binary", body, "https://" + host + "/echo"});
  EXPECT_EQ(post.out, "200") << post.out;
}

// One worker: a client that connects and says nothing, and one that stops halfway through its
// ClientHello, must not hold the worker (OpenSSL reads the descriptor itself: it must be
// non-blocking); others are served meanwhile, and the stalled ones time out.
TEST(TlsTermination, StalledHandshakesDoNotHoldTheWorker) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.start();
  int silent = connect_to(s.port);
  int halfway = connect_to(s.port);
  send_all(halfway, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  std::this_thread::sleep_for(100ms);
  auto r = s.curl_www({"-m", "3", "-o", "/dev/null", "-w", "%{http_code}", "https://" + s.host() + "/bytes/10"});
  EXPECT_EQ(r.out, "200");
  ::close(silent);
  ::close(halfway);
}

// ALPN offers h2 first, then http/1.1 (tls.alpn's default); an unknown protocol gets none.
TEST(TlsTermination, AlpnAgreesOnH2FirstThenHttp11) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.start();
  const uint16_t port = s.port;
  auto both = s_client(port, {"-alpn", "http/1.1,h2"});
  EXPECT_NE(both.out.find("ALPN protocol: h2"), std::string::npos) << both.out;
  auto only_h1 = s_client(port, {"-alpn", "http/1.1"});
  EXPECT_NE(only_h1.out.find("ALPN protocol: http/1.1"), std::string::npos) << only_h1.out;
  auto other = s_client(port, {"-alpn", "spdy/3"});
  EXPECT_NE(other.out.find("No ALPN negotiated"), std::string::npos) << other.out;
  // curl asks for h2 and http/1.1 and gets HTTP/2; told http/1.1, HTTP/1.1.
  auto r = s.curl_www({"-o", "/dev/null", "-w", "%{http_version}", "https://" + s.host() + "/bytes/10"});
  EXPECT_EQ(r.out, "2") << r.out;
  auto h1 = s.curl_www({"--http1.1", "-o", "/dev/null", "-w", "%{http_version}", "https://" + s.host() + "/bytes/10"});
  EXPECT_EQ(h1.out, "1.1") << h1.out;
}

bool handshake_ok(const CommandResult& r) {
  return r.out.find("Cipher is (NONE)") == std::string::npos && r.out.find("New, TLSv") != std::string::npos;
}

TEST(TlsTermination, PoliciesRefuseOldProtocolVersions) {
  HttpsSite s;
  s.site.certificates = {s.www("rsa")};
  // The client lowers its own security level so that only the server can refuse.
  const std::vector<std::string> tls10{"-tls1", "-cipher", "DEFAULT@SECLEVEL=0"};
  const std::vector<std::string> tls11{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"};
  for (const std::string policy : {"intermediate", "legacy", "modern"}) {
    SCOPED_TRACE(policy);
    s.site.policy = policy;
    Process& fulcrum = s.start();  // the previous policy's instance stops first
    const uint16_t port = s.port;
    const bool old_ok = policy == "legacy";
    EXPECT_EQ(handshake_ok(s_client(port, tls10)), old_ok);
    EXPECT_EQ(handshake_ok(s_client(port, tls11)), old_ok);
    EXPECT_EQ(handshake_ok(s_client(port, {"-tls1_2"})), policy != "modern");
    EXPECT_TRUE(handshake_ok(s_client(port, {"-tls1_3"})));
    if (!old_ok) {
      EXPECT_TRUE(fulcrum.wait_for_output("tls.handshake_failed", 2s, true));
      EXPECT_NE(fulcrum.errors().find("unsupported protocol"), std::string::npos) << fulcrum.errors();
    }
  }
}

TEST(TlsTermination, SessionsResumeByTicketAndByCacheOnEveryWorker) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.site.workers = 2;
  s.start();
  const uint16_t port = s.port;
  const std::string session = s.dir.path() + "/session";
  struct Case {
    const char* name;
    std::vector<std::string> args;
    const char* reused;
  };
  for (const Case& c : {Case{"TLS 1.3 ticket", {"-tls1_3"}, "Reused, TLSv1.3"},
                        Case{"TLS 1.2 ticket", {"-tls1_2"}, "Reused, TLSv1.2"},
                        Case{"TLS 1.2 session cache", {"-tls1_2", "-no_ticket"}, "Reused, TLSv1.2"}}) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> first = c.args;
    first.insert(first.end(), {"-sess_out", session});
    auto full = s_client(port, first, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_NE(full.out.find("New, TLSv"), std::string::npos) << full.out;
    // Several resumptions: with two workers, both see the session (one SSL_CTX, shared keys).
    for (int i = 0; i < 4; ++i) {
      std::vector<std::string> again = c.args;
      again.insert(again.end(), {"-sess_in", session});
      auto resumed = s_client(port, again);
      EXPECT_NE(resumed.out.find(c.reused), std::string::npos) << resumed.out;
    }
  }
}

// Clients use each TLS 1.3 ticket once (RFC 8446 C.4; OpenSSL's client, hence wrk, h2load and
// curl): every resumed connection must bring a fresh ticket, or such a client resumes only
// every other connection. Here each connection resumes with the ticket the previous one got
// (-sess_out of one is -sess_in of the next: s_client writes it only when a ticket arrives).
TEST(TlsTermination, EveryResumedTls13ConnectionBringsAFreshTicket) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.start();
  const std::string request = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::string session = s.dir.path() + "/session0";
  auto full = s_client(s.port, {"-tls1_3", "-sess_out", session}, request);
  ASSERT_NE(full.out.find("New, TLSv1.3"), std::string::npos) << full.out;
  for (int i = 1; i <= 4; ++i) {
    SCOPED_TRACE("resumption " + std::to_string(i));
    const std::string next = s.dir.path() + "/session" + std::to_string(i);
    auto resumed = s_client(s.port, {"-tls1_3", "-msg", "-sess_in", session, "-sess_out", next}, request);
    EXPECT_NE(resumed.out.find("Reused, TLSv1.3"), std::string::npos) << resumed.out;
    EXPECT_NE(resumed.out.find("NewSessionTicket"), std::string::npos) << resumed.out;
    ASSERT_TRUE(std::filesystem::exists(next)) << "no ticket came with resumption " << i;
    session = next;
  }
}

// Keys rotate lazily (at the first ticket operation after they are due), from when the listener
// started: the waits are measured from points that bound it, so that a slow machine cannot
// turn "one rotation" into two.
TEST(TlsTermination, TicketsOpenForOneRotationNotTwo) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.site.tls_extra = "      ticket_rotation: 3s\n";
  s.start();
  const uint16_t port = s.port;
  const auto started = std::chrono::steady_clock::now();  // the keys were made before this
  const std::string first = s.dir.path() + "/first";
  EXPECT_TRUE(handshake_ok(s_client(port, {"-tls1_3", "-sess_out", first}, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")));
  std::this_thread::sleep_until(started + 3200ms);  // one rotation is due: the previous key still opens it
  auto once = s_client(port, {"-tls1_3", "-sess_in", first});
  EXPECT_NE(once.out.find("Reused, TLSv1.3"), std::string::npos) << once.out;
  const auto rotated = std::chrono::steady_clock::now();  // that resumption rotated the keys, before this
  std::this_thread::sleep_until(rotated + 3300ms);  // the next rotation drops the first key
  auto twice = s_client(port, {"-tls1_3", "-sess_in", first});
  EXPECT_NE(twice.out.find("New, TLSv1.3"), std::string::npos) << twice.out;
}

TEST(TlsTermination, BadCertificateStopsTheStartWithAClearError) {
  TempDir dir;
  TestPki pki(dir);
  auto a = pki.leaf("a", "a", {"a.test"});
  auto b = pki.leaf("b", "b", {"b.test"});
  Site site;
  site.certificates = {{a.cert, b.key}};
  uint16_t port = free_port();
  dir.write("bad.yaml", https_config(port, "127.0.0.1:9", site));
  auto r = run_command({fulcrum_binary(), "run", "-c", dir.path() + "/bad.yaml", "--admin-listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("listener 'secure': key " + b.key + " does not belong to certificate " + a.cert),
            std::string::npos)
      << r.out;
}

TEST(TlsTermination, CertificatesReloadWhenFilesChangeAndABadOneKeepsTheOld) {
  HttpsSite s;
  auto live = s.pki.leaf("live", "first", {"www.example.test"});
  auto next = s.pki.leaf("next", "second", {"www.example.test"});
  s.site.certificates = {live};
  Process& fulcrum = s.start();
  const uint16_t port = s.port;
  EXPECT_EQ(peer_common_name(s_client(port, sni("www.example.test")).out), "first");

  // A connection opened before the change keeps working after it.
  TlsClientOptions options;
  options.server_name = "www.example.test";
  TlsClient kept(port, options);
  ASSERT_TRUE(kept.ok()) << kept.error();
  EXPECT_EQ(status_of(kept.exchange("GET /bytes/10 HTTP/1.1\r\nHost: www.example.test\r\n\r\n")), 200);

  // New files in place (rename, as deployment tools do): picked up within a couple of seconds.
  std::filesystem::copy_file(next.cert, live.cert + ".tmp");
  std::filesystem::copy_file(next.key, live.key + ".tmp");
  std::filesystem::rename(live.key + ".tmp", live.key);
  std::filesystem::rename(live.cert + ".tmp", live.cert);
  EXPECT_TRUE(fulcrum.wait_for_output("tls.certificates_reloaded", 5s, true)) << fulcrum.errors();
  std::string seen;
  for (int i = 0; i < 50 && seen != "second"; ++i) {
    seen = peer_common_name(s_client(port, sni("www.example.test")).out);
    if (seen != "second") std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(seen, "second");
  EXPECT_EQ(kept.peer_common_name(), "first");
  EXPECT_EQ(status_of(kept.exchange("GET /bytes/10 HTTP/1.1\r\nHost: www.example.test\r\n\r\n")), 200);

  // A broken certificate file: an error in the log, the loaded certificate stays.
  s.dir.write("live.pem", "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
  EXPECT_TRUE(fulcrum.wait_for_output("tls.reload_failed", 5s, true)) << fulcrum.errors();
  EXPECT_EQ(peer_common_name(s_client(port, sni("www.example.test")).out), "second");
  EXPECT_TRUE(fulcrum.running());
}

// A busy connection keeps OpenSSL's record buffers; one idle past the parking delay (200 ms on
// a 50 ms tick) frees them and waits on. It must then serve its next requests as before, and
// still close at its idle deadline.
TEST(TlsTermination, AnIdleConnectionFreesItsBuffersAndIsServedAgainUntilItsIdleTimeout) {
  HttpsSite s;
  s.site.certificates = {s.www()};
  s.site.listener_extra = "    idle_timeout: 2s\n";
  Process& fulcrum = s.start();

  TlsClientOptions options;
  options.server_name = "www.example.test";
  TlsClient client(s.port, options);
  ASSERT_TRUE(client.ok()) << client.error();
  const std::string request = "GET /bytes/20000 HTTP/1.1\r\nHost: www.example.test\r\n\r\n";
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(status_of(client.exchange(request)), 200) << "round " << round;
    std::this_thread::sleep_for(400ms);  // past the parking delay: the buffers are freed
  }
  // Idle from here: closed by the 2 s idle timeout (not kept open, nor closed at once).
  const auto idle_from = std::chrono::steady_clock::now();
  client.send_and_read_to_close("");
  const auto closed_after = std::chrono::steady_clock::now() - idle_from;
  EXPECT_GE(closed_after, 1200ms);
  EXPECT_LE(closed_after, 4s);
  EXPECT_TRUE(fulcrum.running());
}

}  // namespace tls_termination_test
}  // namespace fulcrum::testing
