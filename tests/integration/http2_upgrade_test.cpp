// Hot binary upgrade (fulcrum run --upgrade) with an HTTP/2 connection open: the old process
// drains it as it drains HTTP/1.1 keep-alive clients, with GOAWAY, and the stream under way
// finishes on it before the old process exits; new connections go to the new process. (Stop
// and reload with HTTP/2 streams under way: http2_test.cpp. The upgrade under load over
// HTTP/1.1: upgrade_test.cpp.)
#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http2_upgrade_test {

TEST(Http2Upgrade, TheOldProcessSendsGoawayAndTheStreamUnderWayFinishes) {
  TempDir dir;
  HttpBackend backend(dir, "one");
  const uint16_t port = free_port();
  const std::string socket_path = dir.path() + "/upgrade.sock";
  const std::string yaml = "shutdown_timeout: 15s\nlisteners:\n  - { name: web, listen: 127.0.0.1:" +
                           std::to_string(port) + ", protocol: http, default: { forward: be } }\n"
                           "target_groups:\n  - { name: be, targets: [ { address: " + backend.address() + " } ] }\n";
  auto old = start_fulcrum(dir, yaml, port, {"--upgrade-socket", socket_path, "--access-log", "off"});
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  // A stream that takes 4 s to answer, on an h2c connection to the old process.
  Process client({"/usr/bin/nghttp", "-v", url + "/slow/4000"}, dir.path(), "nghttp");
  ASSERT_TRUE(backend.process.wait_for_output("request GET /slow/4000", 5s)) << backend.process.output();

  Process next({fulcrum_binary(), "run", "-c", dir.path() + "/fulcrum.yaml", "--upgrade", "--upgrade-socket",
                socket_path, "--admin-listen", "127.0.0.1:0", "--access-log", "off"},
               dir.path(), "fulcrum-next");
  ASSERT_TRUE(next.wait_for_output("upgrade.done", 15s, true)) << next.errors();

  ASSERT_TRUE(client.wait(15s).has_value()) << client.output();
  const std::string out = client.output();
  const size_t goaway = out.find("recv GOAWAY frame");
  const size_t answered = out.find(":status: 200");
  ASSERT_NE(goaway, std::string::npos) << out;
  ASSERT_NE(answered, std::string::npos) << out;
  EXPECT_LT(goaway, answered) << "GOAWAY came while the stream was under way: " << out;
  EXPECT_NE(out.find("slow one"), std::string::npos) << "the whole answer: " << out;
  EXPECT_NE(out.find("error_code=NO_ERROR"), std::string::npos) << out;

  // The old process exits once its last stream is done; the new one serves HTTP/2.
  EXPECT_EQ(old->wait(15s), std::optional<int>(0)) << old->errors();
  auto after = curl({"--http2-prior-knowledge", "-w", "\n%{http_version}", url + "/hello"});
  EXPECT_EQ(after.out.rfind("backend one", 0), 0u) << after.out;
  EXPECT_EQ(after.out.substr(after.out.rfind('\n') + 1), "2");
}

}  // namespace http2_upgrade_test
}  // namespace fulcrum::testing
