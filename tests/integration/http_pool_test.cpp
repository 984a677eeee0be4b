// Target connections under keep-alive load with the defaults a user gets (no
// `keepalive_connections`, two workers, the access log on): each worker keeps what it hands
// back, so after the first requests the target sees no new connections, however many clients.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace http_pool_test {

constexpr int kWorkers = 2;  // the default on this machine's two cores, and in CI

std::string defaults_config(uint16_t port, const std::string& target) {
  return "listeners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(port) +
         "\n    protocol: http\n    default: { forward: app }\ntarget_groups:\n  - name: app\n    targets:\n"
         "      - { address: " +
         target + " }\n";
}

// How many connections the backend has accepted so far (one "accept N" line each).
size_t accepted(const HttpBackend& backend) { return backend.count("accept "); }

class KeepAliveClients : public ::testing::TestWithParam<int> {};

TEST_P(KeepAliveClients, OpenAboutOneTargetConnectionEachAndNoneAfterwards) {
  const int clients = GetParam();
  TempDir dir;
  HttpBackend backend(dir, "b", {"--quiet-requests"});
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, defaults_config(port, backend.address()), port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/bytes/64";
  auto wrk = start_wrk(dir, url, clients, 2, {"--timeout", "5s"});
  ASSERT_TRUE(wrk->wait(30s).has_value()) << "wrk did not finish";
  const WrkTotals totals = parse_wrk(wrk->output());
  ASSERT_TRUE(totals.parsed) << wrk->output();
  EXPECT_EQ(totals.failures(), 0u) << wrk->output();
  // Without reuse every request would cost a target connection: the bound below only means
  // something when each client made several requests.
  EXPECT_GE(totals.requests, static_cast<uint64_t>(clients) * 5) << wrk->output();
  // A worker opens a target connection only when none is idle, and each serves one request at
  // a time: at most one per client of that worker, warm-up included. (The margin is the
  // issue's goal, 1.1 × clients + workers; runs here give exactly one per client.)
  std::printf("%d clients: %llu requests, %zu target connections\n", clients,
              static_cast<unsigned long long>(totals.requests), accepted(backend));
  EXPECT_LE(accepted(backend), static_cast<size_t>(clients * 11 / 10 + kWorkers))
      << totals.requests << " requests from " << clients << " keep-alive clients cost " << accepted(backend)
      << " target connections";
}

// The idle connections a worker keeps are handed to whichever client comes next: a new client
// after the first ones have gone needs no new target connection.
TEST(HttpPool, ANewClientIsServedOnAConnectionTheLastOnesLeftIdle) {
  TempDir dir;
  HttpBackend backend(dir, "b", {"--quiet-requests"});
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, defaults_config(port, backend.address()), port);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/bytes/64";
  // 50 clients, over both workers: each keeps what its clients used.
  auto wrk = start_wrk(dir, url, 50, 1, {"--timeout", "5s"});
  ASSERT_TRUE(wrk->wait(30s).has_value()) << "wrk did not finish";
  ASSERT_EQ(parse_wrk(wrk->output()).failures(), 0u) << wrk->output();
  const size_t after_load = accepted(backend);
  // Then clients one after another, each on a new connection, whichever worker takes it.
  for (int client = 0; client < 20; ++client) {
    const auto r = curl({"-o", "/dev/null", "-w", "%{http_code}", url});
    EXPECT_EQ(r.out, "200") << "client " << client;
  }
  EXPECT_EQ(accepted(backend), after_load) << "new clients cost new target connections";
}

INSTANTIATE_TEST_SUITE_P(HttpPool, KeepAliveClients, ::testing::Values(50, 200, 1000),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::to_string(info.param) + "_clients";
                         });

}  // namespace http_pool_test
}  // namespace fulcrum::testing
