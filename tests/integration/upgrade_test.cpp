// Hot binary upgrade (fulcrum run --upgrade): the new process takes the running one's listening
// sockets over the upgrade socket, the old one drains and exits; under wrk load nothing fails
// and no connection is refused. And when the upgrade cannot happen, the old process serves on.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace upgrade_test {

struct UpgradeSetup {
  TempDir dir;
  HttpBackend backend{dir, "one", {"--quiet"}};
  uint16_t http_port = free_port();
  uint16_t tcp_port = free_port();
  std::string socket_path = dir.path() + "/upgrade.sock";

  std::string yaml(const std::string& extra_listener = "") const {
    return "workers: 2\n"
           "shutdown_timeout: 5s\n"
           "listeners:\n"
           "  - { name: web, listen: 127.0.0.1:" + std::to_string(http_port) +
           ", protocol: http, default: { forward: be } }\n"
           "  - { name: raw, listen: 127.0.0.1:" + std::to_string(tcp_port) +
           ", protocol: tcp, default: { forward: be } }\n" + extra_listener +
           "target_groups:\n"
           "  - { name: be, targets: [ { address: " + backend.address() + " } ] }\n";
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port) + "/"; }

  std::unique_ptr<Process> start_old(const std::string& config_yaml) {
    return start_fulcrum(dir, config_yaml, http_port, {"--upgrade-socket", socket_path, "--access-log", "off"});
  }
  // `fulcrum run --upgrade` with the file as it is now on disk.
  std::unique_ptr<Process> start_new(const std::string& label) {
    return std::make_unique<Process>(
        std::vector<std::string>{fulcrum_binary(), "run", "-c", dir.path() + "/fulcrum.yaml", "--upgrade",
                                 "--upgrade-socket", socket_path, "--admin-listen", "127.0.0.1:0", "--access-log",
                                 "off"},
        dir.path(), label);
  }
};

// One upgrade while wrk keeps `connections` busy; returns wrk's totals.
WrkTotals upgrade_under_load(UpgradeSetup& setup, std::unique_ptr<Process>& serving, const std::string& label,
                             std::vector<std::string> wrk_extra) {
  auto wrk = start_wrk(setup.dir, setup.url(), 2, 4, std::move(wrk_extra));
  std::this_thread::sleep_for(1500ms);
  auto next = setup.start_new(label);
  EXPECT_TRUE(next->wait_for_output("upgrade.done", 15s, true)) << next->errors();
  // The old process drains (its clients are told Connection: close) and exits on its own.
  EXPECT_EQ(serving->wait(10s), std::optional<int>(0)) << serving->errors();
  EXPECT_NE(serving->errors().find("upgrade.sockets_sent"), std::string::npos) << serving->errors();
  EXPECT_TRUE(wrk->wait(20s).has_value());
  serving = std::move(next);
  return parse_wrk(wrk->output());
}

TEST(Upgrade, UnderLoadLosesNoRequestAndRefusesNoConnection) {
  UpgradeSetup setup;
  const std::string yaml = setup.yaml();
  auto serving = setup.start_old(yaml);
  ASSERT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", setup.url()}).out, "200");
  const std::string admin = admin_address(*serving);
  ASSERT_FALSE(admin.empty());

  // "About half of capacity": wrk sets no rate, so 2 connections against the capacity
  // measured with 32 (both printed).
  auto capacity_run = start_wrk(setup.dir, setup.url(), 32, 1);
  ASSERT_TRUE(capacity_run->wait(15s).has_value());
  const WrkTotals capacity = parse_wrk(capacity_run->output());

  // A new connection per request: every one of them must be accepted by one process or the other.
  const WrkTotals fresh = upgrade_under_load(setup, serving, "fulcrum-new", {"-H", "Connection: close"});
  // Keep-alive clients: the old process's connections end at a request boundary.
  const WrkTotals kept = upgrade_under_load(setup, serving, "fulcrum-newer", {});
  std::printf("capacity %.0f req/s (32 connections); under 2 connections with one upgrade each:\n"
              "  new connection per request: %llu requests (%.0f/s), non-2xx %llu, connect errors %llu, "
              "read %llu, write %llu, timeouts %llu\n"
              "  keep-alive:                  %llu requests (%.0f/s), non-2xx %llu, connect errors %llu, "
              "read %llu, write %llu, timeouts %llu\n",
              capacity.requests_per_second, static_cast<unsigned long long>(fresh.requests),
              fresh.requests_per_second, static_cast<unsigned long long>(fresh.non_2xx_3xx),
              static_cast<unsigned long long>(fresh.connect_errors), static_cast<unsigned long long>(fresh.read_errors),
              static_cast<unsigned long long>(fresh.write_errors), static_cast<unsigned long long>(fresh.timeouts),
              static_cast<unsigned long long>(kept.requests), kept.requests_per_second,
              static_cast<unsigned long long>(kept.non_2xx_3xx), static_cast<unsigned long long>(kept.connect_errors),
              static_cast<unsigned long long>(kept.read_errors), static_cast<unsigned long long>(kept.write_errors),
              static_cast<unsigned long long>(kept.timeouts));
  for (const WrkTotals* totals : {&fresh, &kept}) {
    ASSERT_TRUE(totals->parsed);
    EXPECT_GT(totals->requests, 100u);
    EXPECT_EQ(totals->failures(), 0u);
    EXPECT_EQ(totals->connect_errors, 0u);
  }

  // The admin API stayed on its port (the socket was handed over too) and is the newest process's.
  EXPECT_EQ(admin_address(*serving), admin);
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://" + admin + "/api/v1/listeners"}).out, "200");
  // The tcp listener (readiness-loop sockets) was handed over as well.
  int fd = connect_to(setup.tcp_port);
  ASSERT_GE(fd, 0);
  send_all(fd, "GET /tcp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(read_to_eof(fd)), 200);
  ::close(fd);
  serving->signal(SIGTERM);
  EXPECT_EQ(serving->wait(10s), std::optional<int>(0));
}

TEST(Upgrade, FailuresAreClearAndTheRunningProcessServesOn) {
  UpgradeSetup setup;
  const std::string good = setup.yaml();

  // Nobody to upgrade: a clear error, exit 1.
  setup.dir.write("fulcrum.yaml", good);
  auto lonely = setup.start_new("fulcrum-lonely");
  EXPECT_EQ(lonely->wait(10s), std::optional<int>(1));
  EXPECT_NE(lonely->errors().find("no running fulcrum answers on the upgrade socket " + setup.socket_path),
            std::string::npos)
      << lonely->errors();

  auto serving = setup.start_old(good);
  ASSERT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", setup.url()}).out, "200");

  // A file that does not validate: the new binary says where, never contacts the old one.
  setup.dir.write("fulcrum.yaml", good + "bogus_key: 1\n");
  auto invalid = setup.start_new("fulcrum-invalid");
  EXPECT_EQ(invalid->wait(10s), std::optional<int>(2));
  EXPECT_NE(invalid->errors().find("fulcrum.yaml:"), std::string::npos) << invalid->errors();
  EXPECT_NE(invalid->errors().find("the running process keeps serving"), std::string::npos) << invalid->errors();

  // A file that validates but cannot start (a port someone else holds): the new process gives
  // up after receiving the sockets; the old one logs it and serves on.
  int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const uint16_t taken_port = free_port();
  address.sin_port = htons(taken_port);
  ASSERT_EQ(::bind(squatter, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(squatter, 1), 0);
  setup.dir.write("fulcrum.yaml",
                  setup.yaml("  - { name: taken, listen: 127.0.0.1:" + std::to_string(taken_port) +
                             ", protocol: tcp, default: { forward: be } }\n"));
  auto blocked = setup.start_new("fulcrum-blocked");
  EXPECT_EQ(blocked->wait(10s), std::optional<int>(1));
  EXPECT_NE(blocked->errors().find("upgrade.sockets_received"), std::string::npos) << blocked->errors();
  EXPECT_NE(blocked->errors().find("listener 'taken'"), std::string::npos) << blocked->errors();
  ::close(squatter);
  EXPECT_TRUE(serving->wait_for_output("upgrade.aborted", 5s, true)) << serving->errors();
  EXPECT_TRUE(serving->running());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", setup.url()}).out, "200");
  }

  // And a good upgrade after all that still works.
  setup.dir.write("fulcrum.yaml", good);
  auto next = setup.start_new("fulcrum-next");
  EXPECT_TRUE(next->wait_for_output("upgrade.done", 15s, true)) << next->errors();
  EXPECT_EQ(serving->wait(10s), std::optional<int>(0)) << serving->errors();
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", setup.url()}).out, "200");
  next->signal(SIGTERM);
  EXPECT_EQ(next->wait(10s), std::optional<int>(0));
}

// Without --upgrade, a second Fulcrum on the ports of a running one must not start: its workers'
// SO_REUSEPORT sockets would bind beside the first one's and quietly take a share of its
// connections. It exits 1 naming the listener and the address (tcp and udp alike); the first
// one keeps every connection.
TEST(Upgrade, ASecondFulcrumOnTheSamePortsRefusesToStartAndTheFirstKeepsEveryConnection) {
  UpgradeSetup setup;
  const uint16_t udp_port = free_port(SOCK_DGRAM);
  const std::string udp_listener = "  - { name: dgram, listen: 127.0.0.1:" + std::to_string(udp_port) +
                                   ", protocol: udp, default: { forward: be } }\n";
  auto first = setup.start_old(setup.yaml(udp_listener));
  ASSERT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", setup.url()}).out, "200");

  auto second_start = [&](const std::string& name, const std::string& yaml) {
    TempDir other;  // its own file, so its own upgrade socket: nothing ties it to the first
    const std::string path = other.write("fulcrum.yaml", yaml);
    auto second = std::make_unique<Process>(
        std::vector<std::string>{fulcrum_binary(), "run", "-c", path, "--admin-listen", "127.0.0.1:0"}, other.path(),
        name);
    EXPECT_EQ(second->wait(10s), std::optional<int>(1)) << second->errors();
    return second->errors();
  };
  const std::string all = second_start("fulcrum-second", setup.yaml(udp_listener));
  EXPECT_NE(all.find("listener 'web': cannot listen on 127.0.0.1:" + std::to_string(setup.http_port) +
                     ": already in use by another process"),
            std::string::npos)
      << all;
  const std::string udp_only = second_start(
      "fulcrum-second-udp", "listeners:\n" + udp_listener + "target_groups:\n  - { name: be, targets: [ { address: " +
                                setup.backend.address() + " } ] }\n");
  EXPECT_NE(udp_only.find("listener 'dgram': cannot listen on udp 127.0.0.1:" + std::to_string(udp_port) +
                          ": already in use by another process"),
            std::string::npos)
      << udp_only;

  // And the first one serves on.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", setup.url()}).out, "200");
  }
  EXPECT_TRUE(first->running());
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait(10s), std::optional<int>(0));
}

// Listeners of one file may overlap (a wildcard and a specific address on one port): the
// probe for another process runs before this one binds anything, so it does not refuse them.
TEST(Upgrade, OverlappingListenersOfOneFileStillStart) {
  UpgradeSetup setup;
  const std::string yaml = "listeners:\n  - { name: any, listen: 0.0.0.0:" + std::to_string(setup.http_port) +
                           ", protocol: http, default: { forward: be } }\n  - { name: local, listen: 127.0.0.1:" +
                           std::to_string(setup.http_port) + ", protocol: http, default: { forward: be } }\n" +
                           "target_groups:\n  - { name: be, targets: [ { address: " + setup.backend.address() + " } ] }\n";
  auto fulcrum = start_fulcrum(setup.dir, yaml, setup.http_port);
  for (const std::string host : {"127.0.0.1", "127.0.0.2"}) {
    EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://" + host + ":" + std::to_string(setup.http_port) + "/"}).out,
              "200")
        << host;
  }
  EXPECT_TRUE(fulcrum->running()) << fulcrum->errors();
}

}  // namespace upgrade_test
}  // namespace fulcrum::testing
