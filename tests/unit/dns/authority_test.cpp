#include "dns/authority.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "../../support/test_mmdb.hpp"
#include "config/config_loader.hpp"
#include "upstream/target_registry.hpp"

namespace fulcrum::dns {
namespace authority_test {

constexpr const char* kConfig = R"(listeners:
  - { name: web, listen: 127.0.0.1:18080, default: { forward: eu } }
target_groups:
  - name: eu
    targets: [ { address: 192.0.2.1:80 }, { address: 192.0.2.2:80 }, { address: "[2001:db8::1]:80" } ]
  - name: us
    targets: [ { address: 198.51.100.1:80 } ]
dns:
  listen: 127.0.0.1:15353
  zones: [example.com]
  ttl: 20s
  sites:
    - { name: eu-west, group: eu }
    - { name: us-east, group: us }
  regions:
    - { name: america, networks: [10.2.0.0/16], sites_by_distance: [us-east, eu-west] }
    - { name: europe, networks: [10.1.0.0/16], sites_by_distance: [eu-west, us-east] }
  names:
    - { name: db.example.com, policy: failover, sites: [eu-west, us-east], ttl: 5s }
    - { name: www.example.com, policy: nearest, sites: [eu-west, us-east] }
    - name: api.example.com
      policy: weighted
      max_answers: 1
      sites: [ { site: eu-west, weight: 3 }, { site: us-east, weight: 1 } ]
    - { name: deep.inner.example.com, sites: [us-east] }
)";

std::shared_ptr<const upstream::Snapshot> snapshot_of(const char* yaml) {
  auto result = config::load_config_text(yaml, "test.yaml");
  EXPECT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors[0].format());
  static upstream::TargetRegistry registry;
  return registry.build(std::make_shared<const config::Config>(std::move(*result.config)), 0);
}

// The same snapshot with the named group's targets all ineligible (as health checks would mark).
std::shared_ptr<const upstream::Snapshot> with_group_down(const std::shared_ptr<const upstream::Snapshot>& base,
                                                          const std::string& group_name) {
  auto copy = std::make_shared<upstream::Snapshot>();
  copy->version = base->version + 1;
  copy->config = base->config;
  for (const auto& group : base->groups) {
    upstream::GroupSnapshot g;
    g.config = group.config;
    g.targets = group.targets;
    auto set = std::make_shared<balance::TargetSet>(group.pickers->targets());
    if (group.name() == group_name) set->eligible.clear();
    g.pickers = balance::make_picker_factory(set, balance::Options{});
    copy->groups.push_back(std::move(g));
  }
  return copy;
}

Query query_for(const std::string& name, uint16_t type) {
  Query query;
  std::copy(name.begin(), name.end(), query.name.begin());
  query.name_length = name.size();
  query.type = type;
  query.klass = kClassIn;
  return query;
}

ClientLocation client(const char* address) {
  ClientLocation location;
  location.family = AF_INET;
  if (inet_pton(AF_INET, address, location.bytes.data()) == 1) return location;
  location.family = AF_INET6;
  EXPECT_EQ(inet_pton(AF_INET6, address, location.bytes.data()), 1) << address;
  return location;
}

std::string first_address(const Decision& decision) {
  if (decision.answer.addresses.empty()) return "";
  char text[64];
  const Address& a = decision.answer.addresses[0];
  inet_ntop(a.length == 4 ? AF_INET : AF_INET6, a.bytes.data(), text, sizeof text);
  return text;
}

TEST(DnsAuthority, FailoverAnswersThePrimaryWhileItIsHealthy) {
  Authority authority(snapshot_of(kConfig));
  std::array<Address, kMaxAnswers> scratch;
  Decision decision = authority.decide(query_for("db.example.com", kTypeA), client("10.9.9.9"), scratch, 1);
  EXPECT_EQ(decision.answer.rcode, Rcode::no_error);
  EXPECT_EQ(decision.answer.addresses.size(), 2u);  // eu's IPv4 targets
  EXPECT_EQ(decision.answer.ttl, 5u);
  EXPECT_EQ(authority.site_name(decision.site), "eu-west");
  Decision v6 = authority.decide(query_for("db.example.com", kTypeAaaa), client("10.9.9.9"), scratch, 1);
  EXPECT_EQ(first_address(v6), "2001:db8::1");
}

TEST(DnsAuthority, FailoverMovesToTheSecondaryWhenThePrimaryIsDown) {
  auto snapshot = snapshot_of(kConfig);
  Authority authority(with_group_down(snapshot, "eu"));
  std::array<Address, kMaxAnswers> scratch;
  Decision decision = authority.decide(query_for("db.example.com", kTypeA), client("10.9.9.9"), scratch, 1);
  EXPECT_EQ(authority.site_name(decision.site), "us-east");
  EXPECT_EQ(first_address(decision), "198.51.100.1");
  EXPECT_FALSE(decision.failed_open);
}

TEST(DnsAuthority, WhenEverySiteIsDownItFailsOpen) {
  auto snapshot = with_group_down(with_group_down(snapshot_of(kConfig), "eu"), "us");
  Authority authority(snapshot);
  std::array<Address, kMaxAnswers> scratch;
  Decision decision = authority.decide(query_for("db.example.com", kTypeA), client("10.9.9.9"), scratch, 1);
  EXPECT_TRUE(decision.failed_open);
  EXPECT_EQ(authority.site_name(decision.site), "eu-west");
  EXPECT_EQ(decision.answer.addresses.size(), 2u);
}

TEST(DnsAuthority, NearestFollowsTheClientsRegionThenHealth) {
  auto snapshot = snapshot_of(kConfig);
  Authority authority(snapshot);
  std::array<Address, kMaxAnswers> scratch;
  auto site_for = [&](Authority& a, const char* ip) {
    return a.site_name(a.decide(query_for("www.example.com", kTypeA), client(ip), scratch, 1).site);
  };
  EXPECT_EQ(site_for(authority, "10.2.3.4"), "us-east");
  EXPECT_EQ(site_for(authority, "10.1.3.4"), "eu-west");
  EXPECT_EQ(site_for(authority, "172.16.0.1"), "eu-west");  // no region: the name's order
  Authority us_down(with_group_down(snapshot, "us"));
  EXPECT_EQ(site_for(us_down, "10.2.3.4"), "eu-west");
}

TEST(DnsAuthority, NearestSetsTheClientSubnetScope) {
  Authority authority(snapshot_of(kConfig));
  std::array<Address, kMaxAnswers> scratch;
  Query query = query_for("www.example.com", kTypeA);
  query.client_subnet = ClientSubnet{1, 24, 0, {10, 2, 3}};
  Decision decision = authority.decide(query, client("10.2.3.0"), scratch, 1);
  EXPECT_EQ(decision.ecs_scope_prefix, 24);
  Decision failover = authority.decide(
      [&] {
        Query q = query_for("db.example.com", kTypeA);
        q.client_subnet = query.client_subnet;
        return q;
      }(),
      client("10.2.3.0"), scratch, 1);
  EXPECT_EQ(failover.ecs_scope_prefix, 0);  // the answer does not depend on where the client is
}

TEST(DnsAuthority, WeightedSplitsByWeight) {
  Authority authority(snapshot_of(kConfig));
  std::array<Address, kMaxAnswers> scratch;
  std::map<std::string, int> counts;
  uint64_t state = 12345;
  for (int i = 0; i < 4000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    Decision decision = authority.decide(query_for("api.example.com", kTypeA), client("10.9.9.9"), scratch, state >> 11);
    ++counts[authority.site_name(decision.site)];
    EXPECT_EQ(decision.answer.addresses.size(), 1u);  // max_answers
  }
  EXPECT_NEAR(counts["eu-west"], 3000, 150);
  EXPECT_NEAR(counts["us-east"], 1000, 150);
}

TEST(DnsAuthority, AnswersRotateOverTheTargets) {
  Authority authority(snapshot_of(kConfig));
  std::array<Address, kMaxAnswers> scratch;
  std::map<std::string, int> first;
  for (int i = 0; i < 10; ++i) {
    ++first[first_address(authority.decide(query_for("db.example.com", kTypeA), client("10.9.9.9"), scratch, 1))];
  }
  EXPECT_EQ(first["192.0.2.1"], 5);
  EXPECT_EQ(first["192.0.2.2"], 5);
}

TEST(DnsAuthority, NegativeAnswers) {
  Authority authority(snapshot_of(kConfig));
  std::array<Address, kMaxAnswers> scratch;
  auto decide = [&](const char* name, uint16_t type) {
    return authority.decide(query_for(name, type), client("10.9.9.9"), scratch, 1).answer;
  };
  EXPECT_EQ(decide("nope.example.com", kTypeA).rcode, Rcode::name_error);
  EXPECT_EQ(decide("nope.example.com", kTypeA).zone, "example.com");
  EXPECT_EQ(decide("www.example.org", kTypeA).rcode, Rcode::refused);
  Answer txt = decide("www.example.com", 16);
  EXPECT_EQ(txt.rcode, Rcode::no_error);  // NODATA
  EXPECT_TRUE(txt.addresses.empty());
  EXPECT_EQ(txt.zone, "example.com");
  Answer no_v6 = decide("api.example.com", kTypeAaaa);  // weighted may pick us (no IPv6)
  EXPECT_EQ(no_v6.rcode, Rcode::no_error);
  Answer interior = decide("inner.example.com", kTypeA);  // an ancestor of a name: it exists
  EXPECT_EQ(interior.rcode, Rcode::no_error);
  EXPECT_TRUE(interior.addresses.empty());
  Answer soa = decide("example.com", kTypeSoa);
  EXPECT_TRUE(soa.soa_in_answer);
  EXPECT_EQ(soa.ttl, 20u);
}


// The mapping from a client to a region with a MaxMind database beside the CIDR table: the
// regions' networks first (most specific), then the region listing the client's country, then
// the one listing its continent, else no region (the name's own order).
TEST(DnsAuthority, NearestMapsClientsToRegionsByNetworkThenCountryThenContinent) {
  fulcrum::testing::ScratchDir dir;
  const std::string database = dir.file("geo.mmdb");
  ASSERT_EQ(fulcrum::testing::write_test_mmdb(
                database, {"203.0.113.0/24=US/NA", "198.51.100.0/24=DE/EU", "192.0.2.0/24=CA/NA",
                           "10.1.0.0/16=US/NA", "2001:db8:1::/48=+CH/EU", "2001:db8:2::/48=JP/AS"}),
            "");
  const std::string yaml = std::string(kConfig).substr(0, std::string(kConfig).find("  regions:")) +
                           "  geoip_file: " + database + "\n"
                           "  regions:\n"
                           "    - { name: europe, networks: [10.1.0.0/16], continents: [EU], sites_by_distance: [eu-west, us-east] }\n"
                           "    - { name: america, countries: [US], continents: [NA], sites_by_distance: [us-east, eu-west] }\n"
                           "    - { name: germany, countries: [DE], sites_by_distance: [us-east, eu-west] }\n"
                           "  names:\n"
                           "    - { name: www.example.com, policy: nearest, sites: [eu-west, us-east] }\n"
                           "    - { name: db.example.com, policy: failover, sites: [eu-west, us-east] }\n";
  auto snapshot = snapshot_of(yaml.c_str());
  ASSERT_TRUE(snapshot->config->dns.geoip);
  Authority authority(snapshot);
  auto region = [&](const char* address) {
    int index = authority.region_of(client(address));
    return index < 0 ? std::string("-") : authority.region_name(index);
  };
  EXPECT_EQ(region("203.0.113.9"), "america");   // country US
  EXPECT_EQ(region("198.51.100.9"), "germany");  // country DE beats continent EU (europe)
  EXPECT_EQ(region("192.0.2.9"), "america");     // CA is in no region; continent NA is
  EXPECT_EQ(region("10.1.2.3"), "europe");       // the CIDR table beats the database (US)
  EXPECT_EQ(region("2001:db8:1::5"), "europe");  // registered country CH in no region; continent EU
  EXPECT_EQ(region("2001:db8:2::5"), "-");       // JP / AS: in no region
  EXPECT_EQ(region("172.16.0.1"), "-");          // not in the database

  std::array<Address, kMaxAnswers> scratch;
  auto decide = [&](Authority& a, const char* name, const char* address) {
    return a.decide(query_for(name, kTypeA), client(address), scratch, 1);
  };
  Decision us = decide(authority, "www.example.com", "203.0.113.9");
  EXPECT_EQ(authority.region_name(us.region), "america");
  EXPECT_EQ(authority.site_name(us.site), "us-east");
  EXPECT_EQ(first_address(us), "198.51.100.1");
  EXPECT_EQ(authority.site_name(decide(authority, "www.example.com", "198.51.100.9").site), "us-east");
  EXPECT_EQ(authority.site_name(decide(authority, "www.example.com", "10.1.2.3").site), "eu-west");
  Decision nowhere = decide(authority, "www.example.com", "2001:db8:2::5");
  EXPECT_EQ(nowhere.region, -1);
  EXPECT_EQ(authority.site_name(nowhere.site), "eu-west");  // the name's own order
  // Other policies do not look the client up at all.
  EXPECT_EQ(decide(authority, "db.example.com", "203.0.113.9").region, -1);
  // The region's nearest site down: its next one.
  Authority us_down(with_group_down(snapshot, "us"));
  EXPECT_EQ(us_down.site_name(decide(us_down, "www.example.com", "203.0.113.9").site), "eu-west");
}

}  // namespace authority_test
}  // namespace fulcrum::dns
