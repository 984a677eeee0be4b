// TLS toward targets: `protocol: https` target groups re-encrypt, with verification
// (`verify`, `ca_file`, `server_name`); a target whose certificate does not verify gets no
// request and the client gets 502. Targets are `openssl s_server -www` with certificates made
// during the test.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "http_harness.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace tls_upstream_test {

std::string https_group_config(uint16_t port, const std::string& target, const std::string& group_tls) {
  return "workers: 1\nshutdown_timeout: 1s\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
         "\n    protocol: http\n    default: { forward: secure }\ntarget_groups:\n  - name: secure\n"
         "    protocol: https\n    max_connect_attempts: 1\n" +
         group_tls + "    targets: [ { address: " + target + " } ]\n";
}

std::string url(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port) + "/"; }

TEST(TlsUpstream, VerifiedTargetsAnswerAndAFailedVerificationIs502) {
  TempDir dir;
  TestPki pki(dir);
  SServerTarget good(dir, pki.intermediate(), pki.leaf("backend", "backend", {"backend.test"}), "good");
  SServerTarget rogue(dir, "", pki.self_signed("rogue", "backend.test"), "rogue");
  const std::string verified = "    ca_file: " + pki.root() + "\n    server_name: backend.test\n";

  {
    SCOPED_TRACE("verified");
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, https_group_config(port, good.address(), verified), port);
    auto r = curl({"-i", url(port)});
    EXPECT_EQ(status_of(r.out), 200) << r.out;
    EXPECT_NE(r.out.find("s_server"), std::string::npos) << r.out;  // the target's own page, decrypted by us
  }
  {
    SCOPED_TRACE("a name the certificate does not carry");
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(
        dir, https_group_config(port, good.address(), "    ca_file: " + pki.root() + "\n    server_name: other.test\n"), port);
    EXPECT_EQ(status_of(curl({"-i", url(port)}).out), 502);
    EXPECT_TRUE(fulcrum->wait_for_output("http.target_tls_failed", 2s, true)) << fulcrum->errors();
    EXPECT_NE(fulcrum->errors().find("certificate verify failed"), std::string::npos) << fulcrum->errors();
  }
  {
    SCOPED_TRACE("a certificate no trusted CA issued");
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, https_group_config(port, rogue.address(), verified), port);
    EXPECT_EQ(status_of(curl({"-i", url(port)}).out), 502);
    EXPECT_TRUE(fulcrum->wait_for_output("http.target_tls_failed", 2s, true)) << fulcrum->errors();
  }
  {
    SCOPED_TRACE("verify: false accepts it");
    uint16_t port = free_port();
    auto fulcrum = start_fulcrum(dir, https_group_config(port, rogue.address(), "    verify: false\n"), port);
    EXPECT_EQ(status_of(curl({"-i", url(port)}).out), 200);
  }
}

// Fulcrum in front of itself: an http listener re-encrypts to its own https listener, which
// terminates and forwards to the plain backend. The TLS connections to the target are pooled
// and reused like plain ones (the log says reused=true), and request bodies cross both ways.
TEST(TlsUpstream, TlsConnectionsToTargetsAreKeptAliveAndReused) {
  TempDir dir;
  TestPki pki(dir);
  HttpBackend backend(dir, "b1");
  auto cert = pki.leaf("inner", "inner", {"inner.test"});
  uint16_t outer = free_port(), inner = free_port();
  const std::string yaml =
      "workers: 1\nshutdown_timeout: 1s\nlisteners:\n"
      "  - name: outer\n    listen: 127.0.0.1:" + std::to_string(outer) + "\n    protocol: http\n"
      "    default: { forward: reencrypt }\n"
      "  - name: inner\n    listen: 127.0.0.1:" + std::to_string(inner) + "\n    protocol: https\n"
      "    tls: { certificates: [ { cert: " + cert.cert + ", key: " + cert.key + " } ] }\n"
      "    default: { forward: plain }\n"
      "target_groups:\n"
      "  - name: reencrypt\n    protocol: https\n    ca_file: " + pki.root() + "\n    server_name: inner.test\n"
      "    targets: [ { address: 127.0.0.1:" + std::to_string(inner) + " } ]\n"
      "  - name: plain\n    targets: [ { address: " + backend.address() + " } ]\n";
  auto fulcrum = start_fulcrum(dir, yaml, outer);
  for (int i = 0; i < 5; ++i) {
    auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", "--data-binary", std::string(30000, 'x'),
                   "http://127.0.0.1:" + std::to_string(outer) + "/echo"});
    EXPECT_EQ(r.out, "200");
  }
  // The five requests' lines on the outer listener (the access log's writer thread writes them
  // after the answers).
  EXPECT_TRUE(wait_for_count(*fulcrum, "listener=outer", 5)) << fulcrum->output();
  const std::string log = fulcrum->output();
  size_t reused = 0;
  for (size_t at = 0; (at = log.find("listener=outer", at)) != std::string::npos; ++at) {
    const size_t end = log.find('\n', at);
    if (log.substr(at, end - at).find("reused=true") != std::string::npos) ++reused;
  }
  EXPECT_EQ(reused, 4u) << log;
}

TEST(TlsUpstream, AnUnreadableCaFileStopsTheStart) {
  TempDir dir;
  uint16_t port = free_port();
  dir.write("f.yaml", https_group_config(port, "127.0.0.1:9", "    ca_file: " + dir.path() + "/missing.pem\n"));
  auto r = run_command({fulcrum_binary(), "run", "-c", dir.path() + "/f.yaml", "--admin-listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("target group 'secure': ca_file " + dir.path() + "/missing.pem: cannot be read"),
            std::string::npos)
      << r.out;
}

}  // namespace tls_upstream_test
}  // namespace fulcrum::testing
