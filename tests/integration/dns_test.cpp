// The DNS responder (`dns:`) through the real binary, asked by the real `dig`
// (bind9-dnsutils): each policy, negative answers, truncation and TCP fallback, EDNS Client
// Subnet steering, failover when a site goes away, malformed packets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <map>
#include <sstream>
#include <thread>

#include "../support/test_mmdb.hpp"
#include "harness.hpp"

namespace fulcrum::testing {
namespace dns_test {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  ::pclose(pipe);
  return out;
}

std::string dig(uint16_t port, const std::string& args) {
  return run("dig @127.0.0.1 -p " + std::to_string(port) + " +time=2 +tries=1 " + args + " 2>&1");
}

std::vector<std::string> non_empty_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string config_for(uint16_t dns_port, uint16_t tcp_port, const std::string& eu_targets = "[ { address: 192.0.2.1:80 }, { address: 192.0.2.2:80 }, { address: \"[2001:db8::1]:80\" } ]") {
  std::string many = "[";
  for (int i = 1; i <= 40; ++i) many += std::string(i > 1 ? ", " : "") + "{ address: 203.0.113." + std::to_string(i) + ":80 }";
  many += "]";
  return "workers: 1\nlisteners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(tcp_port) +
         ", default: { forward: eu } }\n"
         "target_groups:\n"
         "  - { name: eu, targets: " + eu_targets + " }\n"
         "  - { name: us, targets: [ { address: 198.51.100.1:80 }, { address: 198.51.100.2:80 } ] }\n"
         "  - { name: big, targets: " + many + " }\n"
         "dns:\n"
         "  listen: 127.0.0.1:" + std::to_string(dns_port) + "\n"
         "  zones: [example.com]\n"
         "  ttl: 20s\n"
         "  sites:\n"
         "    - { name: eu-west, group: eu }\n"
         "    - { name: us-east, group: us }\n"
         "    - { name: many, group: big }\n"
         "  regions:\n"
         "    - { name: america, networks: [10.2.0.0/16], sites_by_distance: [us-east, eu-west] }\n"
         "    - { name: europe, networks: [10.1.0.0/16, 127.0.0.0/8], sites_by_distance: [eu-west, us-east] }\n"
         "  names:\n"
         "    - { name: db.example.com, policy: failover, sites: [eu-west, us-east], ttl: 5s }\n"
         "    - { name: www.example.com, policy: nearest, sites: [eu-west, us-east] }\n"
         "    - { name: api.example.com, policy: weighted, max_answers: 1,\n"
         "        sites: [ { site: eu-west, weight: 3 }, { site: us-east, weight: 1 } ] }\n"
         "    - { name: big.example.com, sites: [many], max_answers: 64 }\n";
}

struct DnsFixture : ::testing::Test {
  TempDir dir;
  uint16_t port = free_port();
  uint16_t tcp_port = free_port();
  std::unique_ptr<Process> fulcrum;
  void start(const std::string& yaml) { fulcrum = start_fulcrum(dir, yaml, port); }
};

TEST_F(DnsFixture, FailoverAnswersThePrimarySite) {
  start(config_for(port, tcp_port));
  auto answers = non_empty_lines(dig(port, "+short db.example.com A"));
  ASSERT_EQ(answers.size(), 2u) << dig(port, "db.example.com A") << fulcrum->errors();
  EXPECT_TRUE(answers[0] == "192.0.2.1" || answers[0] == "192.0.2.2") << answers[0];
  std::string full = dig(port, "+norec db.example.com A");
  EXPECT_NE(full.find("flags: qr aa"), std::string::npos) << full;
  EXPECT_NE(full.find("db.example.com.\t\t5\tIN\tA"), std::string::npos) << full;  // the name's ttl
  EXPECT_EQ(non_empty_lines(dig(port, "+short db.example.com AAAA")), std::vector<std::string>{"2001:db8::1"});
  // Letter case as asked (resolvers check it), answers the same.
  EXPECT_NE(dig(port, "DB.ExAmple.COM A").find("DB.ExAmple.COM.\t\t5\tIN\tA"), std::string::npos);
}

TEST_F(DnsFixture, WeightedSplitsQueriesByWeight) {
  start(config_for(port, tcp_port));
  std::string batch;
  for (int i = 0; i < 400; ++i) batch += "api.example.com A\n";
  std::string file = dir.write("batch.txt", batch);
  std::string out = run("dig @127.0.0.1 -p " + std::to_string(port) + " +time=2 +tries=1 +short -f " + file);
  int eu = count_of(out, "192.0.2."), us = count_of(out, "198.51.100.");
  EXPECT_EQ(eu + us, 400) << out.substr(0, 400);
  EXPECT_NEAR(eu, 300, 40);  // 3:1, binomial sd ~8.7
  EXPECT_NEAR(us, 100, 40);
}

TEST_F(DnsFixture, NearestSteersByClientSubnetOrResolverAddress) {
  start(config_for(port, tcp_port));
  std::string america = dig(port, "+subnet=10.2.3.0/24 www.example.com A");
  EXPECT_NE(america.find("198.51.100."), std::string::npos) << america;
  EXPECT_EQ(america.find("192.0.2."), std::string::npos) << america;
  EXPECT_NE(america.find("CLIENT-SUBNET: 10.2.3.0/24/24"), std::string::npos) << america;  // scope echoed
  std::string europe = dig(port, "+subnet=10.1.200.0/24 www.example.com A");
  EXPECT_NE(europe.find("192.0.2."), std::string::npos) << europe;
  // No subnet: the resolver's own address (127.0.0.1, in europe here).
  EXPECT_NE(dig(port, "+short www.example.com A").find("192.0.2."), std::string::npos);
  // A subnet in no region: the name's own order (eu-west first).
  EXPECT_NE(dig(port, "+short +subnet=172.16.0.0/16 www.example.com A").find("192.0.2."), std::string::npos);
}

TEST_F(DnsFixture, NegativeAnswers) {
  start(config_for(port, tcp_port));
  std::string nx = dig(port, "nope.example.com A");
  EXPECT_NE(nx.find("status: NXDOMAIN"), std::string::npos) << nx;
  EXPECT_NE(nx.find("example.com.\t\t20\tIN\tSOA\tns.example.com. hostmaster.example.com."), std::string::npos) << nx;
  std::string nodata = dig(port, "www.example.com TXT");
  EXPECT_NE(nodata.find("status: NOERROR"), std::string::npos) << nodata;
  EXPECT_NE(nodata.find("ANSWER: 0, AUTHORITY: 1"), std::string::npos) << nodata;
  std::string refused = dig(port, "www.example.org A");
  EXPECT_NE(refused.find("status: REFUSED"), std::string::npos) << refused;
  std::string soa = dig(port, "example.com SOA");
  EXPECT_NE(soa.find("ANSWER: 1"), std::string::npos) << soa;
}

TEST_F(DnsFixture, LargeAnswersTruncateOverUdpAndCompleteOverTcp) {
  start(config_for(port, tcp_port));
  std::string udp = dig(port, "+noedns +ignore big.example.com A");
  EXPECT_NE(udp.find("flags: qr aa tc"), std::string::npos) << udp;
  EXPECT_NE(udp.find("ANSWER: 0"), std::string::npos) << udp;
  // dig retries over TCP on TC by itself, as resolvers do.
  std::string fallback = dig(port, "+noedns big.example.com A");
  EXPECT_NE(fallback.find("Truncated, retrying in TCP mode"), std::string::npos) << fallback;
  EXPECT_NE(fallback.find("ANSWER: 40"), std::string::npos) << fallback;
  EXPECT_EQ(non_empty_lines(dig(port, "+tcp +short big.example.com A")).size(), 40u);
  // With EDNS (1232 bytes) 40 A records fit in one datagram.
  EXPECT_NE(dig(port, "big.example.com A").find("ANSWER: 40"), std::string::npos);
}

TEST_F(DnsFixture, MalformedPacketsAreDroppedAndCountedAndServiceGoesOn) {
  start(config_for(port, tcp_port));
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::vector<std::string> garbage = {
      "", "x", std::string(11, '\0'), std::string(12, '\0'),                          // no question
      std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01", 18),  // pointer loop
      std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3f" "abc", 16),                // label past the end
      std::string(600, '\xff')};
  for (const auto& packet : garbage) {
    ::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ::close(fd);
  EXPECT_EQ(non_empty_lines(dig(port, "+short db.example.com A")).size(), 2u);
  // Garbage over TCP closes that connection only.
  int stream = connect_to(port);
  send_all(stream, std::string("\0\3abc", 5));
  EXPECT_TRUE(closed_within(stream, 3s));
  ::close(stream);
  EXPECT_EQ(non_empty_lines(dig(port, "+tcp +short db.example.com A")).size(), 2u);
  EXPECT_TRUE(fulcrum->wait_for_output("dns.malformed", 2s, true)) << fulcrum->errors();
  fulcrum->signal(SIGTERM);
  ASSERT_TRUE(fulcrum->wait(10s));
  std::string log = fulcrum->errors();
  auto at = log.find("dns.stopped");
  ASSERT_NE(at, std::string::npos) << log;
  int malformed = std::atoi(log.c_str() + log.find("malformed=", at) + 10);
  EXPECT_GE(malformed, 8) << log.substr(at);  // 7 over UDP, 1 over TCP
}

TEST_F(DnsFixture, FailoverFollowsTheSiteWithinOneReload) {
  start(config_for(port, tcp_port));
  ASSERT_NE(dig(port, "+short db.example.com A").find("192.0.2."), std::string::npos);
  // The primary site loses its targets (as when health checks mark them all down).
  dir.write("fulcrum.yaml", config_for(port, tcp_port, "[]"));
  auto signalled = std::chrono::steady_clock::now();
  fulcrum->signal(SIGHUP);
  std::string answer;
  auto deadline = signalled + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    answer = dig(port, "+short db.example.com A");
    if (answer.find("198.51.100.") != std::string::npos) break;
    std::this_thread::sleep_for(5ms);
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
  EXPECT_NE(answer.find("198.51.100."), std::string::npos) << answer << fulcrum->errors();
  EXPECT_EQ(answer.find("192.0.2."), std::string::npos) << answer;
  std::printf("failover answered %lld ms after the reload signal\n", static_cast<long long>(took.count()));
}

// The real thing: the primary site's only target is a backend with a TCP health check; the
// backend dies, its check fails, and the answer moves to the secondary site.
TEST_F(DnsFixture, ASiteWhoseTargetsFailTheirHealthChecksStopsBeingAnswered) {
  Backend primary(dir, "primary", "echo");
  std::string yaml = "workers: 1\nlisteners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(tcp_port) +
                     ", default: { forward: us } }\n"
                     "target_groups:\n"
                     "  - name: eu\n"
                     "    health_check: { protocol: tcp, interval: 1s, timeout: 300ms, unhealthy_threshold: 1, healthy_threshold: 1 }\n"
                     "    targets: [ { address: " + primary.address() + " } ]\n"
                     "  - { name: us, targets: [ { address: 198.51.100.1:80 } ] }\n"
                     "dns:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n  zones: [example.com]\n"
                     "  sites: [ { name: eu-west, group: eu }, { name: us-east, group: us } ]\n"
                     "  names: [ { name: db.example.com, policy: failover, sites: [eu-west, us-east] } ]\n";
  start(yaml);
  // Until its first check passes the primary is not healthy (the group fails open, which DNS
  // counts as down): the answer is the secondary. Then the primary.
  std::string answer;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    answer = dig(port, "+short db.example.com A");
    if (answer.find("127.0.0.1") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_NE(answer.find("127.0.0.1"), std::string::npos) << answer << fulcrum->errors();
  primary.process.signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  deadline = killed + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    answer = dig(port, "+short db.example.com A");
    if (answer.find("198.51.100.1") != std::string::npos) break;
    std::this_thread::sleep_for(10ms);
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed);
  EXPECT_EQ(answer, "198.51.100.1\n") << fulcrum->errors();
  // Within one health interval (1s) plus the check's own timeout and the dig round trips.
  EXPECT_LT(took.count(), 2000) << fulcrum->errors();
  std::printf("site failover answered %lld ms after its only target died (health interval 1s)\n",
              static_cast<long long>(took.count()));
}


// --- GeoIP: regions by a MaxMind database (dns.geoip_file), written for the test by
// tests/support/write_test_mmdb.pl. The database's answers are chosen to differ from what the
// CIDR table says where both match, so each assertion shows which one decided.
const std::vector<std::string> kGeoNetworks = {
    "203.0.113.0/24=US/NA",   // country US -> america
    "198.51.100.0/24=DE/EU",  // DE is in no region; continent EU -> europe
    "192.0.2.0/24=BR/SA",     // continent SA -> america
    "10.1.0.0/16=US/NA",      // the CIDR table says europe, and wins
    "127.0.0.1/32=JP/AS",     // the resolver itself (dig without +subnet) -> asia
    "2001:db8:1::/48=FR/EU",  // IPv6 client subnet -> europe
};

std::string geoip_config(uint16_t dns_port, uint16_t tcp_port, const std::string& geoip_file) {
  return "workers: 1\nlisteners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(tcp_port) +
         ", default: { forward: eu } }\n"
         "target_groups:\n"
         "  - { name: eu, targets: [ { address: 192.0.2.1:80 }, { address: 192.0.2.2:80 } ] }\n"
         "  - { name: us, targets: [ { address: 198.51.100.1:80 } ] }\n"
         "  - { name: ap, targets: [ { address: 100.64.0.1:80 } ] }\n"
         "dns:\n"
         "  listen: 127.0.0.1:" + std::to_string(dns_port) + "\n"
         "  zones: [example.com]\n"
         "  geoip_file: " + geoip_file + "\n"
         "  sites:\n"
         "    - { name: eu-west, group: eu }\n"
         "    - { name: us-east, group: us }\n"
         "    - { name: ap-east, group: ap }\n"
         "  regions:\n"
         "    - { name: europe, networks: [10.1.0.0/16], continents: [EU], sites_by_distance: [eu-west, us-east] }\n"
         "    - { name: america, countries: [US], continents: [SA], sites_by_distance: [us-east, eu-west] }\n"
         "    - { name: asia, countries: [JP], sites_by_distance: [ap-east, us-east] }\n"
         "  names:\n"
         "    - { name: www.example.com, policy: nearest, sites: [eu-west, us-east, ap-east] }\n";
}

// The site (by its addresses) that answers `www.example.com` for a client subnet ("" = none).
std::string nearest_site(uint16_t port, const std::string& subnet) {
  std::string answer = dig(port, "+short " + (subnet.empty() ? std::string() : "+subnet=" + subnet + " ") +
                                     "www.example.com A");
  bool eu = answer.find("192.0.2.") != std::string::npos, us = answer.find("198.51.100.") != std::string::npos,
       ap = answer.find("100.64.0.1") != std::string::npos;
  if (eu + us + ap != 1) return "?: " + answer;
  return eu ? "eu-west" : us ? "us-east" : "ap-east";
}

TEST_F(DnsFixture, NearestFollowsTheRegionOfAMaxMindDatabase) {
  const std::string database = dir.path() + "/countries.mmdb";
  ASSERT_EQ(write_test_mmdb(database, kGeoNetworks), "");
  start(geoip_config(port, tcp_port, database));
  EXPECT_TRUE(fulcrum->wait_for_output("dns.geoip", 2s, true)) << fulcrum->errors();
  EXPECT_NE(fulcrum->errors().find("type=Fulcrum-Test-Country"), std::string::npos) << fulcrum->errors();
  EXPECT_EQ(nearest_site(port, "203.0.113.0/24"), "us-east");   // country US
  EXPECT_EQ(nearest_site(port, "198.51.100.0/24"), "eu-west");  // continent EU
  EXPECT_EQ(nearest_site(port, "192.0.2.0/24"), "us-east");     // continent SA
  EXPECT_EQ(nearest_site(port, "10.1.2.0/24"), "eu-west");      // CIDR table over the database's US
  EXPECT_EQ(nearest_site(port, "2001:db8:1::/48"), "eu-west");  // IPv6 subnet, FR / EU
  EXPECT_EQ(nearest_site(port, ""), "ap-east");                 // the resolver 127.0.0.1: JP
  EXPECT_EQ(nearest_site(port, "172.16.0.0/16"), "eu-west");    // unknown: the name's order
  // The answer carries the client subnet scope: it depended on the subnet.
  std::string full = dig(port, "+subnet=203.0.113.0/24 www.example.com A");
  EXPECT_NE(full.find("CLIENT-SUBNET: 203.0.113.0/24/24"), std::string::npos) << full;
}

TEST_F(DnsFixture, ACorruptOrMissingDatabaseIsRefusedAtStartWithItsLineAndColumn) {
  const std::string corrupt = dir.write("corrupt.mmdb", std::string(4096, '\x5a'));
  const std::string config = dir.write("fulcrum.yaml", geoip_config(port, tcp_port, corrupt));
  Process run({fulcrum_binary(), "run", "-c", config, "--admin-listen", "127.0.0.1:0"}, dir.path(), "run");
  auto exit_code = run.wait(10s);
  ASSERT_TRUE(exit_code.has_value()) << run.errors();
  EXPECT_NE(*exit_code, 0);
  const std::string expected = config + ":11:15: geoip_file: cannot open MaxMind database '" + corrupt +
                               "': not a MaxMind DB file (The MaxMind DB file contains invalid metadata)";
  EXPECT_NE(run.errors().find(expected), std::string::npos) << run.errors();

  dir.write("fulcrum.yaml", geoip_config(port, tcp_port, dir.path() + "/gone.mmdb"));
  Process validate({fulcrum_binary(), "validate", "-c", config}, dir.path(), "validate");
  exit_code = validate.wait(10s);
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_NE(*exit_code, 0);
  const std::string all = validate.output() + validate.errors();
  EXPECT_NE(all.find(config + ":11:15: geoip_file: cannot open MaxMind database '" + dir.path() +
                     "/gone.mmdb': No such file or directory"),
            std::string::npos)
      << all;
}

// Each loaded configuration opens its own database: a reload with a corrupt file is refused
// (the old configuration and its database keep answering); a reload with a good new file
// changes the answers.
TEST_F(DnsFixture, AReloadWithACorruptDatabaseKeepsTheOldOneAndAGoodOneTakesOver) {
  const std::string first = dir.path() + "/first.mmdb";
  ASSERT_EQ(write_test_mmdb(first, kGeoNetworks), "");
  start(geoip_config(port, tcp_port, first));
  ASSERT_EQ(nearest_site(port, "203.0.113.0/24"), "us-east") << fulcrum->errors();

  const std::string corrupt = dir.path() + "/corrupt.mmdb";
  std::filesystem::copy_file(first, corrupt);
  std::filesystem::resize_file(corrupt, std::filesystem::file_size(first) / 2);  // the metadata is at the end
  dir.write("fulcrum.yaml", geoip_config(port, tcp_port, corrupt));
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(fulcrum->wait_for_output("config.reload_failed", 5s, true)) << fulcrum->errors();
  EXPECT_NE(fulcrum->errors().find("fulcrum.yaml:11:15: geoip_file: cannot open MaxMind database '" + corrupt +
                                   "': not a MaxMind DB file"),
            std::string::npos)
      << fulcrum->errors();
  EXPECT_EQ(nearest_site(port, "203.0.113.0/24"), "us-east");  // still the first database
  EXPECT_EQ(nearest_site(port, ""), "ap-east");

  // A new database (as geoipupdate leaves it: a new file) that puts 203.0.113.0/24 in Japan.
  const std::string second = dir.path() + "/second.mmdb";
  ASSERT_EQ(write_test_mmdb(second, {"203.0.113.0/24=JP/AS"}), "");
  dir.write("fulcrum.yaml", geoip_config(port, tcp_port, second));
  fulcrum->signal(SIGHUP);
  std::string site;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    site = nearest_site(port, "203.0.113.0/24");
    if (site == "ap-east") break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(site, "ap-east") << fulcrum->errors();
  EXPECT_EQ(nearest_site(port, ""), "eu-west");  // 127.0.0.1 is not in the second database
  EXPECT_TRUE(fulcrum->running());
}

}  // namespace dns_test
}  // namespace fulcrum::testing
