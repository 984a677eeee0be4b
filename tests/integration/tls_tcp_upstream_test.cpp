// TCP over TLS toward targets: a `protocol: tcp` listener relays plaintext clients to a
// `protocol: tls` target group, Fulcrum opening a TLS connection to the target (verification
// with `ca_file` and `server_name`, or `verify: false`). The targets are `openssl s_server
// -rev` (each line sent back reversed) with certificates made during the test, so a line that
// comes back reversed went through the target's TLS both ways.
#include <gtest/gtest.h>
#include <unistd.h>


#include "harness.hpp"
#include "tls_harness.hpp"

namespace fulcrum::testing {
namespace tls_tcp_upstream_test {

std::string relay_config(uint16_t port, const std::string& target, const std::string& group_tls) {
  return "workers: 1\nshutdown_timeout: 1s\nlisteners:\n  - name: relay\n    listen: 127.0.0.1:" +
         std::to_string(port) + "\n    protocol: tcp\n    default: { forward: secure }\ntarget_groups:\n" +
         "  - name: secure\n    protocol: tls\n    max_connect_attempts: 1\n    connect_timeout: 2s\n" + group_tls +
         "    targets: [ { address: " + target + " } ]\n";
}

// The group settings that verify the target against `ca_file` under `server_name`.
std::string verified(const TestPki& pki, const std::string& server_name) {
  return "    ca_file: " + pki.root() + "\n    server_name: " + server_name + "\n";
}

// Fulcrum with its tcp listener on a free port, relaying to `target` through a tls group.
struct Relay {
  Relay(const TempDir& dir, const std::string& target, const std::string& group_tls)
      : port(free_port()), fulcrum(start_fulcrum(dir, relay_config(port, target, group_tls), port)) {}
  uint16_t port;
  std::unique_ptr<Process> fulcrum;
};

std::string reversed(std::string text) { return std::string(text.rbegin(), text.rend()); }

// Sends a line, then expects the connection closed (reset) within 3 s with nothing relayed.
void expect_closed_unanswered(uint16_t port) {
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  send_all(fd, "secret\n");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(read_to_eof(fd, 3s), "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms) << "the connection was left open";
  ::close(fd);
}

// Sends `lines` (each ending in \n) and reads back as many bytes; each must come back reversed.
void expect_round_trip(uint16_t port, const std::vector<std::string>& lines) {
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  std::string sent, expected;
  for (const auto& line : lines) {
    sent += line + "\n";
    expected += reversed(line) + "\n";
  }
  send_all(fd, sent);
  EXPECT_EQ(read_exact(fd, expected.size()), expected);
  ::close(fd);
}

// The client is closed unanswered and the log says the target's certificate failed verification.
void expect_verification_failed(const Relay& relay) {
  expect_closed_unanswered(relay.port);
  EXPECT_TRUE(relay.fulcrum->wait_for_output("upstream.target_tls_failed", 3s, true)) << relay.fulcrum->errors();
  EXPECT_NE(relay.fulcrum->errors().find("certificate verify failed"), std::string::npos) << relay.fulcrum->errors();
}

TEST(TlsTcpUpstream, BytesRoundTripThroughAVerifiedTarget) {
  TempDir dir;
  TestPki pki(dir);
  SServerTarget target(dir, pki.intermediate(), pki.leaf("backend", "backend", {"backend.test"}), "good", "-rev");
  Relay relay(dir, target.address(), verified(pki, "backend.test"));
  expect_round_trip(relay.port, {"hello over tls"});
  // Many records each way (lines of 1000 bytes, 60 KB): the relay's buffers fill and drain.
  std::vector<std::string> many;
  for (int i = 0; i < 60; ++i) many.push_back(std::to_string(i) + std::string(1000, static_cast<char>('a' + i % 26)));
  expect_round_trip(relay.port, many);
  EXPECT_TRUE(relay.fulcrum->wait_for_output("target_tls=TLSv1.3", 5s)) << relay.fulcrum->output();
}

TEST(TlsTcpUpstream, AFailedVerificationClosesTheClientAndSaysWhy) {
  TempDir dir;
  TestPki pki(dir);
  SServerTarget good(dir, pki.intermediate(), pki.leaf("backend", "backend", {"backend.test"}), "good", "-rev");
  SServerTarget rogue(dir, "", pki.self_signed("rogue", "backend.test"), "rogue", "-rev");
  {
    SCOPED_TRACE("a name the certificate does not carry");
    Relay relay(dir, good.address(), verified(pki, "other.test"));
    expect_verification_failed(relay);
    EXPECT_TRUE(relay.fulcrum->wait_for_output("tcp.no_target", 3s, true)) << relay.fulcrum->errors();
  }
  {
    SCOPED_TRACE("a certificate no trusted CA issued");
    Relay relay(dir, rogue.address(), verified(pki, "backend.test"));
    expect_verification_failed(relay);
  }
  {
    SCOPED_TRACE("verify: false accepts the self-signed target");
    Relay relay(dir, rogue.address(), "    verify: false\n");
    expect_round_trip(relay.port, {"no questions asked"});
  }
}

TEST(TlsTcpUpstream, AnHttpListenerCannotForwardToATlsGroup) {
  TempDir dir;
  uint16_t port = free_port();
  dir.write("f.yaml", "workers: 1\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
                          "\n    protocol: http\n    default: { forward: secure }\ntarget_groups:\n"
                          "  - name: secure\n    protocol: tls\n    verify: false\n"
                          "    targets: [ { address: 127.0.0.1:9 } ]\n");
  auto r = run_command({fulcrum_binary(), "run", "-c", dir.path() + "/f.yaml", "--admin-listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("whose protocol tls is TCP over TLS: use protocol https"), std::string::npos) << r.out;
  // validate says the same, where the forward is written.
  auto checked = run_command({fulcrum_binary(), "validate", "-c", dir.path() + "/f.yaml"});
  EXPECT_EQ(checked.exit_code, 2);
  EXPECT_NE(checked.out.find(dir.path() + "/f.yaml:6:25: listener 'web' (http) forwards to group 'secure'"),
            std::string::npos)
      << checked.out;
}

}  // namespace tls_tcp_upstream_test
}  // namespace fulcrum::testing
