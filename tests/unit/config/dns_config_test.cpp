// The dns: section: values, defaults and the errors a user can make, with line:column.
#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace fulcrum::config {
namespace {

using namespace std::chrono_literals;
using testing::all_errors;
using testing::expect_error;

Config load_ok(const std::string& yaml) {
  LoadResult result = testing::load(yaml);
  EXPECT_TRUE(result.config) << all_errors(result);
  return result.config ? std::move(*result.config) : Config{};
}

const std::string kHead = R"(listeners:
  - { name: web, listen: 127.0.0.1:8080, default: { forward: eu } }
target_groups:
  - { name: eu, targets: [ { address: 192.0.2.1:80 } ] }
  - { name: us, targets: [ { address: 198.51.100.1:80 } ] }
)";

TEST(DnsConfig, ValuesAndDefaults) {
  Config config = load_ok(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [Example.COM.]
  ttl: 10s
  sites:
    - { name: eu-west, group: eu }
    - { name: us-east, group: us }
  regions:
    - { name: america, networks: [10.2.0.0/16, "2001:db8::/32"], sites_by_distance: [us-east, eu-west] }
  names:
    - { name: WWW.example.com., policy: nearest, sites: [eu-west, us-east] }
    - name: api.example.com
      policy: weighted
      max_answers: 2
      ttl: 5s
      sites: [ { site: eu-west, weight: 3 }, us-east ]
)");
  const DnsConfig& dns = config.dns;
  EXPECT_TRUE(dns.enabled);
  EXPECT_EQ(dns.zones, std::vector<std::string>{"example.com"});
  EXPECT_EQ(dns.ttl, 10s);
  EXPECT_EQ(dns.max_answers, 8u);
  ASSERT_EQ(dns.names.size(), 2u);
  EXPECT_EQ(dns.names[0].name, "www.example.com");
  EXPECT_EQ(dns.names[0].policy, DnsPolicy::nearest);
  EXPECT_EQ(dns.names[0].ttl, 10s);  // inherited
  EXPECT_EQ(dns.names[1].max_answers, 2u);
  EXPECT_EQ(dns.names[1].ttl, 5s);
  ASSERT_EQ(dns.names[1].sites.size(), 2u);
  EXPECT_EQ(dns.names[1].sites[0].weight, 3u);
  EXPECT_EQ(dns.names[1].sites[1].site, "us-east");
  EXPECT_EQ(dns.names[1].sites[1].weight, 1u);
  EXPECT_EQ(dns.regions[0].networks.size(), 2u);
}

TEST(DnsConfig, NoSectionNoResponder) {
  Config config = load_ok(kHead);
  EXPECT_FALSE(config.dns.enabled);
}

TEST(DnsConfig, UnknownSiteWithSuggestion) {
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: eu-west, group: eu } ]
  names:
    - { name: www.example.com, sites: [eu-wst] }
)",
               11, 40, "no dns site named 'eu-wst'; did you mean 'eu-west'?");
}

TEST(DnsConfig, SiteGroupMustExist) {
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: eu-west, group: europe } ]
)",
               9, 36, "group: no target group named 'europe'");
}

TEST(DnsConfig, NamesMustBeInsideAZone) {
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: eu-west, group: eu } ]
  names:
    - { name: www.example.org, sites: [eu-west] }
)",
               11, 15, "'www.example.org' is not inside any of dns.zones, so it would never be asked for");
}

TEST(DnsConfig, BadNameAndPolicyAndRegionNetwork) {
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: eu-west, group: eu } ]
  names:
    - { name: "bad name.example.com", sites: [eu-west] }
)",
               11, 15,
               "name: 'bad name.example.com' is not a DNS name (labels of 1..63 letters, digits, '-' or '_', 253 "
               "characters at most)");
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: eu-west, group: eu } ]
  names:
    - { name: www.example.com, policy: closest, sites: [eu-west] }
)",
               11, 40, "unknown policy 'closest' (expected weighted | failover | nearest)");
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: eu-west, group: eu } ]
  regions:
    - { name: a, networks: [10.1.0.1/16], sites_by_distance: [eu-west] }
)",
               11, 29, "networks: bad CIDR '10.1.0.1/16': host bits are set; did you mean '10.1.0.0/16'?");
}

TEST(DnsConfig, ListenMustNotBeAListenersAddressAndIsRequired) {
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:8080
  zones: [example.com]
)",
               7, 11,
               "dns.listen 127.0.0.1:8080 is also used by listener 'web' (line 2); the responder needs it for both UDP "
               "and TCP");
  expect_error(kHead + R"(dns:
  zones: [example.com]
)",
               7, 3, "dns needs listen: HOST:PORT (served over UDP and TCP; 53 is the standard port)");
}

}  // namespace
}  // namespace fulcrum::config
