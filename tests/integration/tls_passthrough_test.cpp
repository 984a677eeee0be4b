// TLS passthrough (`protocol: tls`): Fulcrum reads the ClientHello's server name without
// decrypting, picks the target group by `sni` rules, and relays the bytes untouched; the
// client talks TLS with the backend itself (`openssl s_server` with its own certificate).
#include <gtest/gtest.h>

#include <unistd.h>

#include <thread>

#include "harness.hpp"
#include "tls_client.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace tls_passthrough_test {

// A TLS backend: openssl s_server answering HTTP GETs with a status page (-www).
struct TlsBackend {
  TlsBackend(const TempDir& dir, const TestPki& pki, const CertFiles& cert, const std::string& name)
      : port(free_port()),
        process({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert", cert.cert, "-key",
                 cert.key, "-cert_chain", pki.intermediate(), "-www", "-quiet"},
                dir.path(), "s_server-" + name) {
    for (int i = 0; i < 200 && !can_connect(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  uint16_t port;
  Process process;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

std::string passthrough_config(uint16_t port, const TlsBackend& a, const TlsBackend& b, const TlsBackend& c) {
  return "workers: 2\nshutdown_timeout: 1s\nlisteners:\n  - name: pass\n    listen: 127.0.0.1:" + std::to_string(port) +
         "\n    protocol: tls\n    rules:\n"
         "      - { name: to-a, match: { sni: a.test }, forward: a }\n"
         "      - { name: to-b, match: { sni: [\"*.b.test\", b.test] }, forward: b }\n"
         "    default: { forward: c }\n"
         "target_groups:\n"
         "  - { name: a, targets: [ { address: " + a.address() + " } ] }\n"
         "  - { name: b, targets: [ { address: " + b.address() + " } ] }\n"
         "  - { name: c, targets: [ { address: " + c.address() + " } ] }\n";
}

class TlsPassthrough : public ::testing::Test {
 protected:
  TlsPassthrough()
      : pki(dir),
        a(dir, pki, pki.leaf("a", "backend-a", {"a.test"}), "a"),
        b(dir, pki, pki.leaf("b", "backend-b", {"*.b.test", "b.test"}), "b"),
        c(dir, pki, pki.leaf("c", "backend-c", {"c.test"}), "c"),
        port(free_port()) {
    fulcrum = start_fulcrum(dir, passthrough_config(port, a, b, c), port);
  }
  TempDir dir;
  TestPki pki;
  TlsBackend a, b, c;
  uint16_t port;
  std::unique_ptr<Process> fulcrum;
};

TEST_F(TlsPassthrough, ServerNamePicksTheBackendAndItsCertificateArrivesIntact) {
  auto to_a = s_client(port, {"-servername", "a.test", "-CAfile", pki.root(), "-verify_return_error",
                              "-verify_hostname", "a.test"});
  EXPECT_EQ(peer_common_name(to_a.out), "backend-a") << to_a.out;
  EXPECT_NE(to_a.out.find("Verify return code: 0 (ok)"), std::string::npos) << to_a.out;
  EXPECT_EQ(peer_common_name(s_client(port, {"-servername", "www.b.test"}).out), "backend-b");
  EXPECT_EQ(peer_common_name(s_client(port, {"-servername", "B.TEST"}).out), "backend-b");
  EXPECT_EQ(peer_common_name(s_client(port, {"-servername", "other.test"}).out), "backend-c");
  EXPECT_EQ(peer_common_name(s_client(port, {"-noservername"}).out), "backend-c");
  // Application data both ways, end to end encrypted: s_server -www answers a GET.
  auto page = s_client(port, {"-servername", "a.test", "-quiet"}, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_NE(page.out.find("HTTP/1.0 200 ok"), std::string::npos) << page.out;
  // The sessions' access lines, written by the log's writer thread after the sessions ended.
  EXPECT_TRUE(fulcrum->wait_for_output("group=a ")) << fulcrum->output();
  EXPECT_TRUE(fulcrum->wait_for_output("sni=a.test rule=to-a")) << fulcrum->output();
}

TEST_F(TlsPassthrough, AClientHelloSplitOverSegmentsIsReassembled) {
  for (size_t pieces : {2u, 5u}) {
    TlsClientOptions options;
    options.server_name = "x.b.test";
    options.ca_file = pki.root();
    options.first_flight_pieces = pieces;
    TlsClient client(port, options);
    ASSERT_TRUE(client.ok()) << client.error();
    EXPECT_EQ(client.peer_common_name(), "backend-b");
    EXPECT_NE(client.send_and_read_to_close("GET / HTTP/1.0\r\n\r\n").find("HTTP/1.0 200 ok"), std::string::npos);
  }
}

TEST_F(TlsPassthrough, GarbageIsClosedAndLoggedAndOthersAreStillServed) {
  int fd = connect_to(port);
  send_all(fd, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  EXPECT_TRUE(closed_within(fd, 2s));
  ::close(fd);
  EXPECT_TRUE(fulcrum->wait_for_output("tls.bad_client_hello", 2s, true)) << fulcrum->errors();
  EXPECT_NE(fulcrum->errors().find("not a TLS handshake"), std::string::npos) << fulcrum->errors();
  EXPECT_EQ(peer_common_name(s_client(port, {"-servername", "a.test"}).out), "backend-a");
}

}  // namespace tls_passthrough_test
}  // namespace fulcrum::testing
