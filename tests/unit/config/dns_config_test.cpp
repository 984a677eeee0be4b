// The dns: section: values, defaults and the errors a user can make, with line:column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../../support/test_mmdb.hpp"
#include "load_helpers.hpp"

namespace fulcrum::config {
namespace dns_config_test {

using namespace std::chrono_literals;
using testing::all_errors;
using testing::expect_error;
using testing::load_ok;


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


// GeoIP (dns.geoip_file + regions' countries/continents). The database is opened while loading,
// so a bad file is an error at its line:column like any other value.
struct DnsGeoIpConfig : ::testing::Test {
  fulcrum::testing::ScratchDir dir;
  std::string database = dir.file("countries.mmdb");
  void SetUp() override {
    ASSERT_EQ(fulcrum::testing::write_test_mmdb(database, {"203.0.113.0/24=US/NA", "198.51.100.0/24=DE/EU"}), "");
  }
  std::string with(const std::string& geoip_file, const std::string& regions) {
    return kHead + "dns:\n  listen: 127.0.0.1:5353\n  zones: [example.com]\n  geoip_file: " + geoip_file +
           "\n  sites: [ { name: eu-west, group: eu }, { name: us-east, group: us } ]\n  regions:\n" + regions;
  }
};

TEST_F(DnsGeoIpConfig, CountriesAndContinentsMapToRegions) {
  Config config = load_ok(with(database,
                               "    - { name: europe, continents: [eu], countries: [ch], sites_by_distance: [eu-west] }\n"
                               "    - { name: america, networks: [10.2.0.0/16], countries: [US, CA], "
                               "sites_by_distance: [us-east, eu-west] }\n"));
  const DnsConfig& dns = config.dns;
  EXPECT_EQ(dns.geoip_file, database);
  ASSERT_TRUE(dns.geoip);
  EXPECT_EQ(dns.geoip->database_type(), "Fulcrum-Test-Country");
  EXPECT_EQ(dns.regions[0].continents, std::vector<std::string>{"EU"});  // upper case, as in the database
  EXPECT_EQ(dns.regions[0].countries, std::vector<std::string>{"CH"});
  EXPECT_TRUE(dns.regions[0].networks.empty());
  EXPECT_EQ(dns.regions[1].countries, (std::vector<std::string>{"US", "CA"}));
  // Copies of the configuration (operator overrides, snapshots) share the one open database.
  Config copy = config;
  EXPECT_EQ(copy.dns.geoip, dns.geoip);
}

TEST_F(DnsGeoIpConfig, MissingEmptyAndCorruptDatabasesAreErrorsAtTheirValue) {
  expect_error(with(dir.file("nope.mmdb"), "    - { name: us, countries: [US], sites_by_distance: [us-east] }\n"), 9, 15,
               "geoip_file: cannot open MaxMind database '" + dir.file("nope.mmdb") + "': No such file or directory");
  std::ofstream(dir.file("corrupt.mmdb")) << "GeoLite2 was here once\n";
  expect_error(with(dir.file("corrupt.mmdb"), "    - { name: us, countries: [US], sites_by_distance: [us-east] }\n"),
               9, 15,
               "geoip_file: cannot open MaxMind database '" + dir.file("corrupt.mmdb") +
                   "': not a MaxMind DB file (The MaxMind DB file contains invalid metadata)");
  expect_error(with("\"\"", "    - { name: us, countries: [US], sites_by_distance: [us-east] }\n"), 9, 15,
               "geoip_file: the path is empty");
}

TEST_F(DnsGeoIpConfig, CodesAreCheckedAndBelongToOneRegion) {
  expect_error(with(database, "    - { name: us, countries: [USA], sites_by_distance: [us-east] }\n"), 12, 31,
               "countries: 'USA' is not a two-letter ISO 3166-1 country code (as in the database's country.iso_code: "
               "DE, US, JP, ...)");
  expect_error(with(database, "    - { name: gb, countries: [uk], sites_by_distance: [eu-west] }\n"), 12, 31,
               "countries: 'UK' is not an ISO 3166-1 code; the United Kingdom is 'GB'");
  expect_error(with(database, "    - { name: eu, continents: [Europe], sites_by_distance: [eu-west] }\n"), 12, 32,
               "continents: 'Europe' is not a continent code (AF, AN, AS, EU, NA, OC, SA); did you mean 'EU'?");
  expect_error(with(database,
                    "    - { name: a, countries: [DE], sites_by_distance: [eu-west] }\n"
                    "    - { name: b, countries: [FR, de], sites_by_distance: [eu-west] }\n"),
               13, 34, "country 'DE' is already in region 'a' (line 12); a client maps to one region");
  expect_error(with(database, "    - { name: a, continents: [EU, EU], sites_by_distance: [eu-west] }\n"), 12, 35,
               "continent 'EU' is listed twice in region 'a'");
}

TEST_F(DnsGeoIpConfig, GeoIpKeysNeedEachOther) {
  expect_error(kHead + R"(dns:
  listen: 127.0.0.1:5353
  zones: [example.com]
  sites: [ { name: us-east, group: us } ]
  regions:
    - name: america
      countries: [US]
      sites_by_distance: [us-east]
)",
               12, 7,
               "countries needs dns.geoip_file: a MaxMind database (GeoLite2-Country.mmdb or GeoLite2-City.mmdb) "
               "that maps client addresses to them");
  expect_error(with(database, "    - { name: a, networks: [10.1.0.0/16], sites_by_distance: [eu-west] }\n"), 9, 3,
               "geoip_file is given but no dns region lists countries or continents, so it would never be used");
  expect_error(with(database,
                    "    - { name: a, countries: [DE], sites_by_distance: [eu-west] }\n"
                    "    - { name: b, sites_by_distance: [eu-west] }\n"),
               13, 7,
               "dns region 'b' needs networks (CIDRs of its clients), countries or continents (with dns.geoip_file)");
}

}  // namespace dns_config_test
}  // namespace fulcrum::config
