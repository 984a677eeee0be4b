// `dns:` and `srv:` targets and the `resolver:` section: values, defaults and the errors a user
// can make, with line:column. `validate` checks names' syntax only: nothing here resolves.
#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "load_helpers.hpp"

namespace fulcrum::config {
namespace discovery_config_test {

using namespace std::chrono_literals;
using testing::all_errors;
using testing::expect_error;
using testing::load_ok;

const std::string kHead = R"(listeners:
  - { name: web, listen: 127.0.0.1:8080, protocol: http, default: { forward: app } }
target_groups:
  - name: app
    targets:
)";

TEST(DiscoveryConfig, EntriesKeepTheirPlaceAmongStaticTargets) {
  Config config = load_ok(kHead + R"(      - { address: 10.1.0.5:8080 }
      - { dns: Web.SVC.cluster.local., port: 8080, weight: 3, zone: a }
      - 10.1.0.6:8080
      - { srv: _http._tcp.api.service.consul }
)");
  const auto& group = config.target_groups.at(0);
  ASSERT_EQ(group.targets.size(), 2u);
  ASSERT_EQ(group.discovered.size(), 2u);
  const auto& dns = group.discovered[0];
  EXPECT_EQ(dns.kind, DiscoveryKind::address);
  EXPECT_EQ(dns.name, "web.svc.cluster.local");  // lower case, no trailing dot
  EXPECT_EQ(dns.port, 8080);
  EXPECT_EQ(dns.weight, 3u);
  EXPECT_EQ(dns.zone, "a");
  EXPECT_EQ(dns.position, 1u);
  EXPECT_EQ(dns.origin(), "dns:web.svc.cluster.local");
  const auto& srv = group.discovered[1];
  EXPECT_EQ(srv.kind, DiscoveryKind::srv);
  EXPECT_EQ(srv.name, "_http._tcp.api.service.consul");
  EXPECT_EQ(srv.position, 3u);
  EXPECT_FALSE(srv.weight.has_value());
}

TEST(DiscoveryConfig, ResolverDefaultsAndValues) {
  Config defaults = load_ok(kHead + "      - 10.1.0.5:8080\n");
  EXPECT_TRUE(defaults.resolver.nameservers.empty());
  EXPECT_EQ(defaults.resolver.timeout, 2s);
  EXPECT_EQ(defaults.resolver.min_ttl, 1s);
  EXPECT_EQ(defaults.resolver.max_ttl, 300s);
  EXPECT_EQ(defaults.resolver.hold_valid, 300s);
  EXPECT_EQ(defaults.resolver.hold_nx, 30s);
  EXPECT_EQ(defaults.resolver.hold_obsolete, 0s);
  EXPECT_EQ(defaults.resolver.prefer, AddressPreference::both);

  Config config = load_ok(R"(resolver:
  nameservers: [ 10.0.0.2:53, "[fd00::2]:5353", 10.0.0.3, "fd00::3" ]
  timeout: 500ms
  min_ttl: 2s
  max_ttl: 1m
  hold_valid: 10m
  hold_nx: 5s
  hold_obsolete: 20s
  prefer: ipv6
)" + kHead + "      - { dns: web.test, port: 80 }\n");
  ASSERT_EQ(config.resolver.nameservers.size(), 4u);
  EXPECT_EQ(config.resolver.nameservers[0].to_string(), "10.0.0.2:53");
  EXPECT_EQ(config.resolver.nameservers[1].to_string(), "[fd00::2]:5353");
  EXPECT_EQ(config.resolver.nameservers[2].to_string(), "10.0.0.3:53");
  EXPECT_EQ(config.resolver.nameservers[3].to_string(), "[fd00::3]:53");
  EXPECT_EQ(config.resolver.timeout, 500ms);
  EXPECT_EQ(config.resolver.min_ttl, 2s);
  EXPECT_EQ(config.resolver.max_ttl, 60s);
  EXPECT_EQ(config.resolver.hold_valid, 600s);
  EXPECT_EQ(config.resolver.hold_nx, 5s);
  EXPECT_EQ(config.resolver.hold_obsolete, 20s);
  EXPECT_EQ(config.resolver.prefer, AddressPreference::ipv6);
}

TEST(DiscoveryConfig, ErrorsSayWhatIsWrongAndWhere) {
  expect_error(kHead + "      - { dns: web.test }\n", 6, 9,
               "a dns: target needs a port (every address of web.test gets it)");
  expect_error(kHead + "      - { dns: \"web..test\", port: 80 }\n", 6, 16,
               "dns: 'web..test' is not a DNS name (labels of 1..63 letters, digits, '-' or '_', 253 characters at "
               "most); write the full name, the search list of resolv.conf is not applied");
  expect_error(kHead + "      - { srv: _x._tcp.a.test, port: 80 }\n", 6, 32,
               "'port' does not apply to an srv: target: the SRV records give each target's port and weight");
  expect_error(kHead + "      - { address: 10.0.0.1:80, dns: a.test }\n", 6, 9,
               "a target has one of 'address', 'dns' or 'srv', not several");
  expect_error(kHead + "      - { address: 10.0.0.1:80, port: 81 }\n", 6, 33,
               "'port' applies to dns: targets; an address carries its own (HOST:PORT)");
  expect_error(kHead + "      - { dns: a.test, port: 80 }\n      - { dns: A.test., port: 80 }\n", 7, 16,
               "duplicate target dns:a.test in target group 'app' (first at line 6)");
  expect_error("resolver:\n  nameservers: [ ns1.example.com ]\n" + kHead + "      - 10.0.0.1:80\n", 2, 18,
               "nameservers[0]: 'ns1.example.com' is not an IP address (a nameserver cannot be a name: write "
               "ADDRESS or ADDRESS:PORT, [IPv6]:PORT)");
  expect_error("resolver:\n  min_ttl: 10s\n  max_ttl: 5s\n" + kHead + "      - 10.0.0.1:80\n", 3, 12,
               "resolver: max_ttl (5000ms) is below min_ttl (10000ms)");
  expect_error("resolver:\n  prefer: ipv5\n" + kHead + "      - 10.0.0.1:80\n", 2, 11,
               "unknown prefer 'ipv5'; did you mean 'ipv4'? (expected ipv4 | ipv6 | both)");
}

// The same name at two ports is two entries; the same name in two groups is asked once (the
// discovery room), but is valid in both.
TEST(DiscoveryConfig, OneNameAtTwoPortsAndInTwoGroups) {
  Config config = load_ok(kHead + R"(      - { dns: a.test, port: 80 }
      - { dns: a.test, port: 81 }
  - name: other
    targets:
      - { dns: a.test, port: 80 }
)");
  EXPECT_EQ(config.target_groups[0].discovered.size(), 2u);
  EXPECT_EQ(config.target_groups[1].discovered.size(), 1u);
}

// A dns: responder with no listeners is a global balancer: valid.
TEST(DiscoveryConfig, ADnsOnlyConfigurationIsValid) {
  Config config = load_ok(R"(dns:
  listen: 127.0.0.1:5353
  zones: [ example.com ]
  sites: [ { name: here, group: app } ]
  names: [ { name: www.example.com, sites: [ here ] } ]
target_groups:
  - name: app
    targets:
      - { dns: web.test, port: 80 }
)");
  EXPECT_TRUE(config.listeners.empty());
  EXPECT_EQ(config.target_groups[0].discovered.size(), 1u);
}

}  // namespace discovery_config_test
}  // namespace fulcrum::config
