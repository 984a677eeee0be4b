// Targets that follow DNS (`dns:` and `srv:` entries): the real binary against a real DNS server
// whose answers the test changes while wrk runs (tests/support/dns_test_server.py), and HTTP
// backends on several loopback addresses (127.0.0.2, 127.0.0.3, ::1) behind one name.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace discovery_test {

using nlohmann::json;

// The DNS server of the tests, answering from a zone file the test rewrites.
class TestDns {
 public:
  explicit TestDns(const TempDir& dir, const std::string& zone)
      : dir_(dir), zone_path_(dir.path() + "/zone.json"), log_path_(dir.path() + "/queries.log") {
    set_zone(zone);
    const std::string port_file = dir.path() + "/dns-port.txt";
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3", FULCRUM_SOURCE_DIR "/tests/support/dns_test_server.py",
                                 "--zone-file", zone_path_, "--port-file", port_file, "--log-file", log_path_},
        dir.path(), "dns-test-server");
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(port_file);
      if (in >> port) break;
      std::this_thread::sleep_for(20ms);
    }
    EXPECT_NE(port, 0) << "the DNS test server did not start: " << process_->errors();
  }

  // Replaces the zone at once (rename: the server never reads half a file).
  void set_zone(const std::string& zone) {
    const std::string temp = zone_path_ + ".new";
    {
      std::ofstream out(temp);
      out << zone;
    }
    std::rename(temp.c_str(), zone_path_.c_str());
  }

  // Lines of the query log holding `text` ("udp web.test A", "tcp _x._tcp.y SRV").
  size_t queries(const std::string& text) const {
    std::ifstream in(log_path_);
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) n += line.find(text) != std::string::npos;
    return n;
  }

  std::string resolver_yaml(const std::string& extra = "") const {
    return "resolver:\n  nameservers: [ \"127.0.0.1:" + std::to_string(port) + "\" ]\n  timeout: 300ms\n" + extra;
  }

  uint16_t port = 0;

 private:
  const TempDir& dir_;
  std::string zone_path_;
  std::string log_path_;
  std::unique_ptr<Process> process_;
};

json get_json(const std::string& url) {
  auto r = curl({url});
  if (r.exit_code != 0) return json();
  return json::parse(r.out, nullptr, false);
}

// The group's targets as the admin API shows them: address -> state.
std::map<std::string, std::string> targets_of(const std::string& admin, const std::string& group,
                                              bool with_removed = false) {
  std::map<std::string, std::string> out;
  json body = get_json("http://" + admin + "/api/v1/target-groups/" + group);
  if (!body.is_object()) return out;
  for (const auto& t : body["targets"]) {
    if (!with_removed && t.value("removed", false)) continue;
    out[t["address"].get<std::string>()] = t["state"].get<std::string>();
  }
  return out;
}

// Waits until `done` holds (checked every 50 ms).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// Waits until Fulcrum's log (stderr) holds `text` at least `count` times.
bool logged(const Process& fulcrum, const std::string& text, int count, std::chrono::milliseconds timeout = 10s) {
  return eventually([&] { return count_of(fulcrum.errors(), text) >= count; }, timeout);
}

std::string http_yaml(uint16_t listen_port, const std::string& group_body) {
  return "listeners:\n  - name: web\n    listen: 127.0.0.1:" + std::to_string(listen_port) +
         "\n    protocol: http\n    default: { forward: app }\ntarget_groups:\n  - name: app\n"
         "    deregistration_delay: 1s\n" +
         group_body;
}

std::string a_zone(const std::string& addresses, int ttl = 1, const std::string& extra = "") {
  return R"({"names": {"web.test": {"ttl": )" + std::to_string(ttl) + R"(, "a": [)" + addresses + "]" + extra + "}}}";
}

// Addresses come and go under load: each new one takes traffic, each gone one drains, and no
// request fails. IPv6 (AAAA) included.
TEST(Discovery, AddressesThatChangeUnderLoadLoseNoRequest) {
  TempDir dir;
  const uint16_t target_port = free_port();
  HttpBackend b2(dir, "b2", {}, target_port, "127.0.0.2");
  HttpBackend b3(dir, "b3", {}, target_port, "127.0.0.3");
  HttpBackend b6(dir, "b6", {}, target_port, "[::1]");
  TestDns dns(dir, a_zone(R"("127.0.0.2")"));
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, dns.resolver_yaml() + http_yaml(port, "    targets:\n      - { dns: web.test, port: " +
                                                     std::to_string(target_port) + " }\n"),
      port);
  const std::string admin = admin_address(*fulcrum);
  const std::string t2 = "127.0.0.2:" + std::to_string(target_port);
  const std::string t3 = "127.0.0.3:" + std::to_string(target_port);
  const std::string t6 = "[::1]:" + std::to_string(target_port);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app") == std::map<std::string, std::string>{{t2, "healthy"}}; }))
      << get_json("http://" + admin + "/api/v1/target-groups/app").dump(2);

  auto wrk = start_wrk(dir, "http://127.0.0.1:" + std::to_string(port) + "/bytes/32", 8, 10, {"--timeout", "5s"});
  dns.set_zone(a_zone(R"("127.0.0.2", "127.0.0.3")"));
  EXPECT_TRUE(eventually([&] { return b3.count("request GET") > 0; })) << "the new address takes no traffic";
  dns.set_zone(a_zone(R"("127.0.0.3")"));
  EXPECT_TRUE(eventually([&] { return targets_of(admin, "app") == std::map<std::string, std::string>{{t3, "healthy"}}; }));
  dns.set_zone(a_zone(R"()", 1, R"(, "aaaa": ["::1"])"));
  EXPECT_TRUE(eventually([&] { return b6.count("request GET") > 0; })) << "the AAAA address takes no traffic";
  EXPECT_TRUE(eventually([&] { return targets_of(admin, "app") == std::map<std::string, std::string>{{t6, "healthy"}}; }));
  ASSERT_TRUE(wrk->wait(30s).has_value());
  const WrkTotals totals = parse_wrk(wrk->output());
  ASSERT_TRUE(totals.parsed) << wrk->output();
  std::printf("%llu requests while the answers changed 3 times\n", static_cast<unsigned long long>(totals.requests));
  EXPECT_EQ(totals.failures(), 0u) << wrk->output();
  EXPECT_GT(b2.count("request GET"), 0u);
  // The API says where each target came from.
  json body = get_json("http://" + admin + "/api/v1/target-groups/app");
  for (const auto& t : body["targets"]) EXPECT_EQ(t["source"], "dns:web.test") << t.dump();
  ASSERT_EQ(body["discovery"].size(), 1u);
  EXPECT_EQ(body["discovery"][0]["origin"], "dns:web.test");
  EXPECT_TRUE(body["discovery"][0]["problem"].is_null()) << body["discovery"].dump();
  auto metrics = curl({"http://" + admin + "/metrics"}).out;
  EXPECT_EQ(metric_sample(metrics, "fulcrum_target_info{group=\"app\",target=\"" + t6 +
                                       "\",origin=\"dns:web.test\",tier=\"0\"}"),
            1)
      << metrics;
  EXPECT_GE(metric_sample(metrics, "fulcrum_discovery_changes_total"), 3);
}

std::string srv_zone(const std::string& records, const std::string& hosts) {
  return R"({"names": {"_http._tcp.api.test": {"ttl": 1, "srv": [)" + records + "]}, " + hosts + "}}";
}

std::string srv(int priority, int weight, uint16_t port, const std::string& target) {
  return R"({"priority": )" + std::to_string(priority) + R"(, "weight": )" + std::to_string(weight) +
         R"(, "port": )" + std::to_string(port) + R"(, "target": ")" + target + R"("})";
}

// SRV: ports and weights from the records, priorities as tiers: the second tier takes over
// when the first has no healthy target, and gives back when it has one again.
TEST(Discovery, SrvRecordsGivePortsWeightsAndAPriorityFailover) {
  TempDir dir;
  HttpBackend a(dir, "a");
  HttpBackend b(dir, "b");
  HttpBackend c(dir, "c");
  const std::string hosts = R"("a.api.test": {"a": ["127.0.0.1"]}, "c.api.test": {"a": ["127.0.0.1"]})";
  TestDns dns(dir, srv_zone(srv(10, 1, a.port, "a.api.test") + ", " + srv(10, 3, b.port, "a.api.test") + ", " +
                                srv(20, 5, c.port, "c.api.test"),
                            hosts));
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, dns.resolver_yaml() +
               http_yaml(port, "    health_check: { protocol: http, path: /, interval: 1s, timeout: 500ms, "
                               "healthy_threshold: 1, unhealthy_threshold: 1 }\n"
                               "    targets:\n      - { srv: _http._tcp.api.test }\n"),
      port);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").size() == 3; }));
  json body = get_json("http://" + admin + "/api/v1/target-groups/app");
  std::map<std::string, std::pair<int, int>> weight_tier;
  for (const auto& t : body["targets"]) {
    weight_tier[t["address"]] = {t["weight"].get<int>(), t.value("tier", 0)};
  }
  // Weights 1 and 3 scale by the answer's largest (5): 200 and 600; 5 gives 1000.
  EXPECT_EQ(weight_tier[a.address()], std::make_pair(200, 0)) << body.dump(2);
  EXPECT_EQ(weight_tier[b.address()], std::make_pair(600, 0));
  EXPECT_EQ(weight_tier[c.address()], std::make_pair(1000, 1));
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app")[a.address()] == "healthy"; }));
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app")[b.address()] == "healthy"; }));

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/bytes/16";
  for (int i = 0; i < 40; ++i) EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", url}).out, "200");
  // (Health checks ask for "/": only /bytes requests are traffic.)
  EXPECT_EQ(c.count("request GET /bytes"), 0u) << "the second tier took traffic while the first was healthy";
  EXPECT_GT(a.count("request GET /bytes"), 0u);
  EXPECT_GT(b.count("request GET /bytes"), a.count("request GET /bytes")) << "weights 1:3 not followed";

  // Under load, the answer changes: b leaves, d comes (port and weight from its record).
  HttpBackend d(dir, "d");
  auto wrk = start_wrk(dir, url, 4, 8, {"--timeout", "5s"});
  dns.set_zone(srv_zone(srv(10, 1, a.port, "a.api.test") + ", " + srv(10, 1, d.port, "a.api.test") + ", " +
                            srv(20, 5, c.port, "c.api.test"),
                        hosts));
  EXPECT_TRUE(eventually([&] { return d.count("request GET /bytes") > 0; })) << "the new SRV target takes no traffic";
  EXPECT_TRUE(eventually([&] { return targets_of(admin, "app").count(b.address()) == 0; }));
  // Then the whole first tier goes: its targets fail, the second tier takes over.
  a.process.signal(SIGKILL);
  d.process.signal(SIGKILL);
  EXPECT_TRUE(eventually([&] { return c.count("request GET /bytes") > 0; })) << "no failover to the second tier";
  ASSERT_TRUE(wrk->wait(30s).has_value());
  const WrkTotals totals = parse_wrk(wrk->output());
  std::printf("failover: %llu requests, %llu failed\n", static_cast<unsigned long long>(totals.requests),
              static_cast<unsigned long long>(totals.failures()));
  EXPECT_EQ(totals.failures(), 0u) << wrk->output();
}

// TTLs are followed, clamped to min_ttl/max_ttl (TTL 0 included), and the clamp is logged once.
TEST(Discovery, TheTtlDecidesWhenANameIsAskedAgainWithinMinAndMaxTtl) {
  TempDir dir;
  HttpBackend backend(dir, "b");
  TestDns dns(dir, R"({"names": {"web.test": {"ttl": 0, "a": ["127.0.0.1"]}, "slow.test": {"ttl": 3600, "a": ["127.0.0.1"]}}})");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, dns.resolver_yaml("  min_ttl: 1s\n  max_ttl: 2s\n  prefer: ipv4\n") +
               http_yaml(port, "    targets:\n      - { dns: web.test, port: " + std::to_string(backend.port) +
                                   " }\n      - { dns: slow.test, port: " + std::to_string(backend.port) + " }\n"),
      port);
  // TTL 0 → asked every min_ttl (1 s), TTL 3600 → every max_ttl (2 s). Over the same span the
  // first is asked about twice as often; neither as fast as a TTL of 0 would allow.
  ASSERT_TRUE(eventually([&] { return dns.queries("web.test A") >= 1 && dns.queries("slow.test A") >= 1; }));
  const auto start = std::chrono::steady_clock::now();
  const size_t web0 = dns.queries("web.test A");
  const size_t slow0 = dns.queries("slow.test A");
  ASSERT_TRUE(eventually([&] { return dns.queries("slow.test A") >= slow0 + 3; }, 15s));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const size_t web = dns.queries("web.test A") - web0;
  std::printf("in %.1f s: web.test (TTL 0) asked %zu times, slow.test (TTL 3600) 3 times\n", seconds, web);
  EXPECT_GE(seconds, 3 * 2.0 - 2.1);  // the first of the three may come at once after the start
  EXPECT_LE(seconds, 3 * 2.0 + 1.5);
  EXPECT_GE(web, 4u);
  EXPECT_LE(web, 9u);
  EXPECT_TRUE(logged(*fulcrum, "discovery.ttl_clamped origin=dns:web.test", 1));
  EXPECT_EQ(count_of(fulcrum->errors(), "discovery.ttl_clamped origin=dns:web.test"), 1);
}

// One backend on 127.0.0.1 behind `web.test`, which the DNS server answers with 127.0.0.1
// (TTL 1 s), and Fulcrum following it with these extra resolver settings; waits for the target.
struct OneNameRig {
  explicit OneNameRig(const std::string& resolver_extra)
      : backend(dir, "b"), dns(dir, good), port(free_port()) {
    fulcrum = start_fulcrum(
        dir, dns.resolver_yaml(resolver_extra) +
                 http_yaml(port, "    targets:\n      - { dns: web.test, port: " + std::to_string(backend.port) + " }\n"),
        port);
    admin = admin_address(*fulcrum);
    EXPECT_TRUE(eventually([&] { return targets_of(admin, "app").count(backend.address()) == 1; }));
  }
  // What the API says fails for the name ("" when nothing).
  std::string problem() const {
    json body = get_json("http://" + admin + "/api/v1/target-groups/app");
    return body["discovery"][0]["problem"].is_string() ? body["discovery"][0]["problem"].get<std::string>() : "";
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }

  const std::string good = a_zone(R"("127.0.0.1")");
  TempDir dir;
  HttpBackend backend;
  TestDns dns;
  uint16_t port;
  std::unique_ptr<Process> fulcrum;
  std::string admin;
};

// Resolution failing (timeouts: hold_valid) and NXDOMAIN (hold_nx): the last good answer keeps
// serving for the hold, with the reason in the API, then the targets go.
TEST(Discovery, FailingResolutionKeepsTheLastGoodAnswerForItsHold) {
  OneNameRig rig("  hold_valid: 4s\n  hold_nx: 3s\n  prefer: ipv4\n");
  auto& dns = rig.dns;
  const std::string& admin = rig.admin;
  const std::string& good = rig.good;
  const std::string url = rig.url("/bytes/16");
  auto problem = [&] { return rig.problem(); };

  // SERVFAIL (c-ares passes over the server, then gives up): held, with its reason, and back
  // when answers come again.
  dns.set_zone(a_zone(R"("127.0.0.1")", 1, R"(, "rcode": "SERVFAIL")"));
  ASSERT_TRUE(eventually([&] { return problem().find("SERVFAIL") != std::string::npos; })) << problem();
  EXPECT_NE(problem().find("hold_valid"), std::string::npos) << problem();
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", url}).out, "200");
  dns.set_zone(good);
  ASSERT_TRUE(eventually([&] { return problem().empty(); })) << problem();

  // Timeouts (the server drops the queries): held under load, then the hold runs out.
  dns.set_zone(a_zone(R"("127.0.0.1")", 1, R"(, "behaviour": "drop")"));
  ASSERT_TRUE(eventually([&] { return problem().find("timeout") != std::string::npos; })) << problem();
  EXPECT_NE(problem().find("hold_valid"), std::string::npos) << problem();
  {
    // Held: a second of load fails nothing (the hold has at least 2 s left).
    auto wrk = start_wrk(rig.dir, url, 4, 1, {"--timeout", "2s"});
    ASSERT_TRUE(wrk->wait(20s).has_value());
    const WrkTotals held = parse_wrk(wrk->output());
    EXPECT_TRUE(held.parsed && held.requests > 100 && held.failures() == 0) << wrk->output() << problem();
  }
  EXPECT_EQ(targets_of(admin, "app").size(), 1u);
  // The hold runs out: the target goes (drains), and requests get 503.
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").empty(); }, 8s)) << problem();
  EXPECT_NE(problem().find("removed"), std::string::npos) << problem();
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", url}).out, "503");
  dns.set_zone(good);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").size() == 1 && problem().empty(); })) << problem();
  // Start, recovery, start, hold run out: one line each, not one per retry.
  EXPECT_TRUE(logged(*rig.fulcrum, "discovery.resolution_problem origin=dns:web.test", 3));

  dns.set_zone(R"({"names": {}})");  // NXDOMAIN
  ASSERT_TRUE(eventually([&] { return problem().find("hold_nx") != std::string::npos; })) << problem();
  EXPECT_NE(problem().find("NXDOMAIN"), std::string::npos);
  auto wrk = start_wrk(rig.dir, url, 4, 1, {"--timeout", "2s"});
  ASSERT_TRUE(wrk->wait(20s).has_value());
  const WrkTotals held = parse_wrk(wrk->output());
  EXPECT_TRUE(held.parsed && held.requests > 100 && held.failures() == 0) << wrk->output() << problem();
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").empty(); }, 6s)) << problem();
}

// A name that never resolved: no targets, 503, and the API says why.
TEST(Discovery, ANameThatNeverResolvedGives503AndSaysWhy) {
  TempDir dir;
  TestDns dns(dir, R"({"names": {}})");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, dns.resolver_yaml() + http_yaml(port, "    targets:\n      - { dns: nowhere.test, port: 80 }\n"), port);
  const std::string admin = admin_address(*fulcrum);
  std::string why;
  ASSERT_TRUE(eventually([&] {
    json body = get_json("http://" + admin + "/api/v1/target-groups/app");
    why = body["discovery"][0]["problem"].is_string() ? body["discovery"][0]["problem"].get<std::string>() : "";
    return !why.empty();
  }));
  EXPECT_NE(why.find("NXDOMAIN"), std::string::npos) << why;
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"}).out,
            "503");
  EXPECT_TRUE(logged(*fulcrum, "discovery.resolution_problem origin=dns:nowhere.test", 1));
}

// Hostile answers: each is refused (or clamped) with a log line; the targets stay as they were
// and no request fails.
TEST(Discovery, HostileAnswersAreRefusedAndTheTargetsStayIntact) {
  OneNameRig rig("  prefer: ipv4\n");
  auto& dns = rig.dns;
  auto& fulcrum = rig.fulcrum;
  const std::string& admin = rig.admin;
  const std::string& good = rig.good;
  const std::string target = rig.backend.address();
  auto wrk = start_wrk(rig.dir, rig.url("/bytes/16"), 4, 6, {"--timeout", "5s"});
  const std::pair<const char*, const char*> cases[] = {
      {"malformed_truncated_record", "discovery.malformed_answer origin=dns:web.test"},
      {"malformed_compression_loop", "discovery.malformed_answer origin=dns:web.test"},
      {"claims_10000", "discovery.malformed_answer origin=dns:web.test"},
      {"wrong_id", "timeout"},  // c-ares drops an answer with a wrong id: the query times out
  };
  int malformed_lines = 0;
  for (const auto& [behaviour, line] : cases) {
    const size_t before = dns.queries(std::string("web.test A ") + behaviour);
    dns.set_zone(a_zone(R"("127.0.0.1")", 1, std::string(R"(, "behaviour": ")") + behaviour + "\""));
    ASSERT_TRUE(eventually([&] { return dns.queries(std::string("web.test A ") + behaviour) > before; })) << behaviour;
    if (std::string(line).starts_with("discovery.")) {
      ++malformed_lines;
      EXPECT_TRUE(logged(*fulcrum, line, malformed_lines)) << behaviour;
    } else {
      EXPECT_TRUE(logged(*fulcrum, "why=\"resolution failing (timeout", 1)) << behaviour;
    }
    EXPECT_EQ(targets_of(admin, "app"), (std::map<std::string, std::string>{{target, "healthy"}})) << behaviour;
    dns.set_zone(good);
    EXPECT_TRUE(eventually([&] { return rig.problem().empty(); })) << behaviour << ": no recovery";
  }
  // TTL 0 on every answer: clamped to min_ttl, not a query storm.
  dns.set_zone(a_zone(R"("127.0.0.1")", 1, R"(, "behaviour": "ttl_zero")"));
  EXPECT_TRUE(logged(*fulcrum, "discovery.ttl_clamped", 1));
  ASSERT_TRUE(wrk->wait(30s).has_value());
  const WrkTotals totals = parse_wrk(wrk->output());
  EXPECT_EQ(totals.failures(), 0u) << wrk->output();
  EXPECT_EQ(targets_of(admin, "app").size(), 1u);
  EXPECT_TRUE(fulcrum->running());
}

// A UDP answer with TC set is asked again over TCP; 1,000 SRV targets come in one answer.
TEST(Discovery, ATruncatedAnswerIsAskedAgainOverTcpAndAThousandSrvTargetsFit) {
  TempDir dir;
  HttpBackend backend(dir, "b");
  std::string records;
  std::string hosts;
  for (int i = 0; i < 1000; ++i) {
    if (i > 0) {
      records += ", ";
      hosts += ", ";
    }
    // 1,000 addresses of 127.0.0.0/8 on the backend's port (only 127.0.0.1 listens: health
    // checks are off, so every one stays healthy and traffic is not what this test counts).
    const std::string host = "t" + std::to_string(i) + ".big.test";
    records += srv(0, 1, backend.port, host);
    hosts += "\"" + host + "\": {\"a\": [\"127.0." + std::to_string(i / 250 + 1) + "." + std::to_string(i % 250 + 1) +
             "\"]}";
  }
  TestDns dns(dir, srv_zone(records, hosts));
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, dns.resolver_yaml() + http_yaml(port, "    targets:\n      - { srv: _http._tcp.api.test }\n"), port);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").size() == 1000; }, 15s))
      << targets_of(admin, "app").size() << " targets";
  EXPECT_GE(dns.queries("tcp _http._tcp.api.test SRV"), 1u) << "no TCP fallback";
  EXPECT_EQ(dns.queries("big.test A"), 0u) << "asked for SRV targets the additional section resolved";
  // An answer identical to the last one publishes nothing new.
  auto metrics = curl({"http://" + admin + "/metrics"}).out;
  const double changes = metric_sample(metrics, "fulcrum_discovery_changes_total");
  const size_t asked = dns.queries("_http._tcp.api.test SRV");
  ASSERT_TRUE(eventually([&] { return dns.queries("_http._tcp.api.test SRV") >= asked + 2; }));
  EXPECT_EQ(metric_sample(curl({"http://" + admin + "/metrics"}).out, "fulcrum_discovery_changes_total"), changes);

  // The truncate_udp behaviour: a small answer with TC set.
  dns.set_zone(a_zone(R"("127.0.0.1")", 1, R"(, "behaviour": "truncate_udp")"));
  const uint16_t port2 = free_port();
  TempDir dir2;
  auto second = start_fulcrum(
      dir2, dns.resolver_yaml("  prefer: ipv4\n") +
                http_yaml(port2, "    targets:\n      - { dns: web.test, port: " + std::to_string(backend.port) + " }\n"),
      port2);
  const std::string admin2 = admin_address(*second);
  ASSERT_TRUE(eventually([&] { return targets_of(admin2, "app").size() == 1; }));
  EXPECT_GE(dns.queries("tcp web.test A"), 1u);
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port2) + "/"}).out,
            "200");
}

// A reload keeps what the names gave (no target drains while the name is asked again); a
// discovered address also listed statically is one target; operator overrides apply to it.
TEST(Discovery, AReloadKeepsTheAddressesAndADuplicateIsOneTarget) {
  TempDir dir;
  HttpBackend backend(dir, "b");
  TestDns dns(dir, a_zone(R"("127.0.0.1")", 1));
  const uint16_t port = free_port();
  const std::string yaml =
      dns.resolver_yaml("  prefer: ipv4\n") +
      http_yaml(port, "    targets:\n      - { address: " + backend.address() + " }\n      - { dns: web.test, port: " +
                          std::to_string(backend.port) + " }\n");
  auto fulcrum = start_fulcrum(dir, yaml, port);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_TRUE(logged(*fulcrum, "discovery.duplicate_target group=app target=" + backend.address(), 1));
  json body = get_json("http://" + admin + "/api/v1/target-groups/app");
  ASSERT_EQ(body["targets"].size(), 1u) << body.dump(2);
  EXPECT_EQ(body["targets"][0]["source"], "file");

  // An operator's weight on a discovered target lasts while the name gives its address.
  dns.set_zone(a_zone(R"("127.0.0.1", "127.0.0.2")", 1));
  const std::string second = "127.0.0.2:" + std::to_string(backend.port);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").count(second) == 1; }));
  const std::string patch_url = "http://" + admin + "/api/v1/target-groups/app/targets/" + second;
  auto patched = curl({"-X", "PATCH", "-H", "Content-Type: application/json", "--data-binary", R"({"weight": 7})",
                       "-o", "/dev/null", "-w", "%{http_code}", patch_url});
  EXPECT_EQ(patched.out, "200");
  auto weight_of_second = [&] {
    json body = get_json("http://" + admin + "/api/v1/target-groups/app");
    for (const auto& t : body["targets"]) {
      if (t["address"] == second) return t["weight"].get<int>();
    }
    return -1;
  };
  const size_t asked = dns.queries("web.test A");
  ASSERT_TRUE(eventually([&] { return dns.queries("web.test A") >= asked + 2; }));  // identical answers meanwhile
  EXPECT_EQ(weight_of_second(), 7);
  dns.set_zone(a_zone(R"("127.0.0.1")", 30));
  EXPECT_TRUE(logged(*fulcrum, "admin.change_dropped group=app target=" + second, 1));
  EXPECT_TRUE(eventually([&] { return targets_of(admin, "app").count(second) == 0; }));

  dir.write("fulcrum.yaml", yaml);  // unchanged; the reload must not drain anything
  auto reload = curl({"-X", "POST", "http://" + admin + "/api/v1/reload"});
  EXPECT_EQ(reload.exit_code, 0);
  const int drained_before = count_of(fulcrum->errors(), "to=draining");
  EXPECT_TRUE(logged(*fulcrum, "config.reloaded", 1));
  EXPECT_EQ(targets_of(admin, "app").size(), 1u);
  EXPECT_EQ(count_of(fulcrum->errors(), "to=draining"), drained_before) << fulcrum->errors();
}

// 200 names in one configuration, each asked on its own: every one gives its target.
TEST(Discovery, TwoHundredNamesInOneConfiguration) {
  TempDir dir;
  std::string zone = R"({"names": {)";
  std::string targets;
  for (int i = 0; i < 200; ++i) {
    const std::string name = "n" + std::to_string(i) + ".test";
    zone += (i ? ", " : "") + ("\"" + name + "\": {\"ttl\": 5, \"a\": [\"127.0.1." + std::to_string(i + 1) + "\"]}");
    targets += "      - { dns: " + name + ", port: 80 }\n";
  }
  TestDns dns(dir, zone + "}}");
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(dir, dns.resolver_yaml("  prefer: ipv4\n") + http_yaml(port, "    targets:\n" + targets),
                               port);
  const std::string admin = admin_address(*fulcrum);
  EXPECT_TRUE(eventually([&] { return targets_of(admin, "app").size() == 200; }))
      << targets_of(admin, "app").size() << " targets";
  json body = get_json("http://" + admin + "/api/v1/target-groups/app");
  EXPECT_EQ(body["discovery"].size(), 200u);
  EXPECT_EQ(dns.queries(" AAAA "), 0u) << "prefer: ipv4 asks no AAAA";
}

// Discovered targets are ordinary targets: every algorithm spreads over them (one name asked
// once for eight groups), and an lb_cookie naming a target that left the answers falls back to
// another, with a new cookie.
TEST(Discovery, EveryAlgorithmAndStickinessWorkWithDiscoveredTargets) {
  TempDir dir;
  const uint16_t target_port = free_port();
  std::vector<std::unique_ptr<HttpBackend>> backends;
  for (const char* host : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    backends.push_back(std::make_unique<HttpBackend>(dir, std::string("b") + host[8], std::vector<std::string>{},
                                                     target_port, host));
  }
  TestDns dns(dir, a_zone(R"("127.0.0.2", "127.0.0.3", "127.0.0.4")"));
  const char* algorithms[] = {"round_robin",           "weighted_round_robin", "ip_hash",
                              "least_connections",     "weighted_least_connections",
                              "least_response_time",   "resource_based",       "random_two_choices"};
  std::string listeners = "listeners:\n";
  std::string groups = "target_groups:\n";
  std::vector<uint16_t> ports;
  for (const char* algorithm : algorithms) {
    ports.push_back(free_port());
    listeners += "  - { name: " + std::string(algorithm) + ", listen: 127.0.0.1:" + std::to_string(ports.back()) +
                 ", protocol: http, default: { forward: " + algorithm + " } }\n";
    groups += "  - name: " + std::string(algorithm) + "\n    algorithm: " + algorithm +
              "\n    targets:\n      - { dns: web.test, port: " + std::to_string(target_port) + " }\n";
  }
  const uint16_t sticky_port = free_port();
  listeners += "  - { name: sticky, listen: 127.0.0.1:" + std::to_string(sticky_port) +
               ", protocol: http, default: { forward: sticky } }\n";
  groups += "  - name: sticky\n    deregistration_delay: 1s\n    stickiness: { type: lb_cookie, duration: 1h }\n"
            "    targets:\n      - { dns: web.test, port: " + std::to_string(target_port) + " }\n";
  auto fulcrum = start_fulcrum(dir, dns.resolver_yaml("  prefer: ipv4\n") + listeners + groups, ports.front());
  const std::string admin = admin_address(*fulcrum);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "sticky").size() == 3; }));
  for (size_t a = 0; a < ports.size(); ++a) {
    std::set<std::string> seen;
    for (int i = 0; i < 30; ++i) {
      // From 30 source addresses, so that ip_hash has clients to spread.
      auto r = curl({"--interface", "127.0.1." + std::to_string(i + 1),
                     "http://127.0.0.1:" + std::to_string(ports[a]) + "/who"});
      ASSERT_EQ(r.exit_code, 0) << algorithms[a];
      seen.insert(r.out.substr(0, r.out.find('\n')));
    }
    EXPECT_GE(seen.size(), 2u) << algorithms[a] << " kept every request on one discovered target";
  }
  EXPECT_EQ(dns.queries("web.test A"), dns.queries("web.test A answer")) << "one name, asked once for all groups";

  // Stickiness: the cookie's target leaves the answers; the next request goes elsewhere.
  const std::string sticky_url = "http://127.0.0.1:" + std::to_string(sticky_port) + "/who";
  auto first = curl({"-i", sticky_url});
  const size_t at = first.out.find("Set-Cookie: FULCRUM=");
  ASSERT_NE(at, std::string::npos) << first.out;
  const std::string cookie = first.out.substr(at + 12, first.out.find(';', at) - at - 12);
  const std::string who = first.out.substr(first.out.find("backend "), 10);
  for (int i = 0; i < 5; ++i) {
    auto again = curl({"-H", "Cookie: " + cookie, sticky_url});
    EXPECT_EQ(again.out.substr(0, 10), who) << "the cookie was not honoured";
  }
  std::string others;
  for (const char* host : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
    if (who != std::string("backend b") + host[8]) others += std::string(others.empty() ? "" : ", ") + "\"" + host + "\"";
  }
  dns.set_zone(a_zone(others));
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "sticky").size() == 2; }));
  auto moved = curl({"-i", "-H", "Cookie: " + cookie, sticky_url});
  EXPECT_EQ(status_of(moved.out), 200) << moved.out;
  EXPECT_EQ(moved.out.find(who), std::string::npos) << "still sent to the target that left";
  EXPECT_NE(moved.out.find("Set-Cookie: FULCRUM="), std::string::npos) << "no new cookie";
}

// Two nameservers, the first one dead (nothing listens there): the queries go on to the second.
TEST(Discovery, ADeadNameserverIsPassedOverForTheNext) {
  TempDir dir;
  HttpBackend backend(dir, "b");
  TestDns dns(dir, a_zone(R"("127.0.0.1")", 1));
  const uint16_t dead = free_port(SOCK_DGRAM);
  const uint16_t port = free_port();
  auto fulcrum = start_fulcrum(
      dir, "resolver:\n  nameservers: [ \"127.0.0.1:" + std::to_string(dead) + "\", \"127.0.0.1:" +
               std::to_string(dns.port) + "\" ]\n  timeout: 300ms\n  prefer: ipv4\n" +
               http_yaml(port, "    targets:\n      - { dns: web.test, port: " + std::to_string(backend.port) + " }\n"),
      port);
  const std::string admin = admin_address(*fulcrum);
  ASSERT_TRUE(eventually([&] { return targets_of(admin, "app").size() == 1; }));
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"}).out, "200");
  EXPECT_TRUE(logged(*fulcrum, "discovery.resolver nameservers=\"127.0.0.1:" + std::to_string(dead) + " 127.0.0.1:" +
                                   std::to_string(dns.port) + "\"",
                     1))
      << fulcrum->errors();
}

// A configuration with a dns: responder and no listeners is valid: a global balancer answering
// with the discovered targets of its sites.
TEST(Discovery, ADnsOnlyInstanceAnswersWithDiscoveredTargets) {
  TempDir dir;
  TestDns dns(dir, a_zone(R"("127.0.0.7", "127.0.0.8")", 30));
  const uint16_t dns_port = free_port(SOCK_DGRAM);
  const std::string yaml = dns.resolver_yaml("  prefer: ipv4\n") +
                           "dns:\n  listen: 127.0.0.1:" + std::to_string(dns_port) +
                           "\n  zones: [ example.test ]\n  sites:\n    - { name: here, group: app }\n"
                           "  names:\n    - { name: www.example.test, sites: [ { site: here } ] }\n"
                           "target_groups:\n  - name: app\n    targets:\n      - { dns: web.test, port: 80 }\n";
  const std::string path = dir.write("dns-only.yaml", yaml);
  auto validate = run_captured({fulcrum_binary(), "validate", "--config", path}, "/dev/null", true);
  EXPECT_EQ(validate.exit_code, 0) << validate.out;
  Process fulcrum({fulcrum_binary(), "run", "--config", path, "--admin-listen", "127.0.0.1:0"}, dir.path(), "fulcrum");
  std::string answer;
  EXPECT_TRUE(eventually([&] {
    answer = run_captured({"/usr/bin/dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "-p",
                           std::to_string(dns_port), "www.example.test", "A"},
                          "/dev/null", true)
                 .out;
    return answer.find("127.0.0.7") != std::string::npos && answer.find("127.0.0.8") != std::string::npos;
  })) << answer
      << fulcrum.output() << fulcrum.errors();
}

}  // namespace discovery_test
}  // namespace fulcrum::testing
