#include "discovery/expand_targets.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fulcrum::discovery::expand_targets_test {

using Strings = std::vector<std::string>;

core::Endpoint endpoint(const std::string& text) {
  core::EndpointError error;
  auto parsed = core::parse_endpoint(text, error, /*allow_port_zero=*/true);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << error.message;
  return parsed.value_or(core::Endpoint{});
}

// A target as the config reader makes it from `- address: ...`.
config::TargetConfig static_target(const std::string& address, uint32_t weight = 1, const std::string& zone = "") {
  config::TargetConfig t;
  t.address_text = address;
  t.address = endpoint(address);
  t.weight = weight;
  t.zone = zone;
  return t;
}

config::DiscoveredTargets dns_entry(const std::string& name, uint16_t port, std::optional<uint32_t> weight,
                                    const std::string& zone, size_t position) {
  config::DiscoveredTargets e;
  e.kind = config::DiscoveryKind::address;
  e.name = name;
  e.port = port;
  e.weight = weight;
  e.zone = zone;
  e.position = position;
  return e;
}

config::DiscoveredTargets srv_entry(const std::string& name, const std::string& zone, size_t position) {
  config::DiscoveredTargets e;
  e.kind = config::DiscoveryKind::srv;
  e.name = name;
  e.zone = zone;
  e.position = position;
  return e;
}

// What NameWatch gives: dns: addresses with port 0, srv: with the record's port.
FoundAddress found(const std::string& address, uint16_t weight = 0, uint16_t priority = 0) {
  return FoundAddress{endpoint(address), weight, priority};
}

// Every field expand_targets sets, in one line per target.
std::string text_of(const config::TargetConfig& t) {
  return t.address_text + " (" + t.address.to_string() + ") w=" + std::to_string(t.weight) + " zone=" + t.zone +
         " origin=" + t.origin + " tier=" + std::to_string(t.tier) + (t.operator_drain ? " drain" : "");
}

Strings texts(const config::TargetGroupConfig& group) {
  Strings out;
  for (const auto& t : group.targets) out.push_back(text_of(t));
  return out;
}

// Names to their addresses; a name missing from the map is one nothing follows (nullptr).
struct Names {
  std::map<std::string, std::vector<FoundAddress>> by_origin;
  AddressesOf lookup() const {
    return [this](const config::DiscoveredTargets& entry) -> const std::vector<FoundAddress>* {
      auto it = by_origin.find(entry.origin());
      return it == by_origin.end() ? nullptr : &it->second;
    };
  }
};

std::string text_of(const DuplicateTarget& d) {
  return d.group + " " + d.address + " lost=" + d.origin + " kept=" + d.kept;
}

Strings texts(const std::vector<DuplicateTarget>& duplicates) {
  Strings out;
  for (const auto& d : duplicates) out.push_back(text_of(d));
  return out;
}

config::TargetGroupConfig group_named(const std::string& name) {
  config::TargetGroupConfig g;
  g.name = name;
  return g;
}

TEST(ScaleSrvWeight, ScalesByTheLargest) {
  EXPECT_EQ(scale_srv_weight(10, 10), 1000u);
  EXPECT_EQ(scale_srv_weight(5, 10), 500u);
  EXPECT_EQ(scale_srv_weight(1, 3), 333u);
  EXPECT_EQ(scale_srv_weight(2, 3), 667u) << "rounded to nearest";
  EXPECT_EQ(scale_srv_weight(1, 1), 1000u);
  EXPECT_EQ(scale_srv_weight(65535, 65535), 1000u) << "no overflow at the top";
  EXPECT_EQ(scale_srv_weight(32768, 65535), 500u);
  EXPECT_EQ(scale_srv_weight(65534, 65535), 1000u);
}

TEST(ScaleSrvWeight, ZeroAndTinyBecomeOne) {
  EXPECT_EQ(scale_srv_weight(0, 10), 1u) << "RFC 2782: weight 0 keeps a very small chance";
  EXPECT_EQ(scale_srv_weight(0, 65535), 1u);
  EXPECT_EQ(scale_srv_weight(1, 65535), 1u) << "rounds to 0, raised to 1";
  EXPECT_EQ(scale_srv_weight(0, 0), 1u) << "all zero: equal shares";
}

TEST(ExpandTargets, StaticDnsAndSrvInFileOrder) {
  config::Config file;
  auto group = group_named("web");
  group.targets.push_back(static_target("10.0.0.1:80", 3, "z0"));                      // position 0
  group.discovered.push_back(dns_entry("app.example.com", 8080, 7, "za", 1));          // position 1
  group.discovered.push_back(srv_entry("_http._tcp.example.com", "zs", 2));            // position 2
  file.target_groups.push_back(group);

  Names names;
  names.by_origin["dns:app.example.com"] = {found("10.1.0.1:0"), found("10.1.0.2:0"), found("[2001:db8::1]:0")};
  names.by_origin["srv:_http._tcp.example.com"] = {found("10.2.0.1:9000", 5, 10), found("10.2.0.2:9001", 10, 10)};

  std::vector<DuplicateTarget> duplicates;
  const config::Config out = expand_targets(file, names.lookup(), &duplicates);
  ASSERT_EQ(out.target_groups.size(), 1u);
  EXPECT_EQ(texts(out.target_groups[0]),
            (Strings{
                "10.0.0.1:80 (10.0.0.1:80) w=3 zone=z0 origin= tier=0",
                "10.1.0.1:8080 (10.1.0.1:8080) w=7 zone=za origin=dns:app.example.com tier=0",
                "10.1.0.2:8080 (10.1.0.2:8080) w=7 zone=za origin=dns:app.example.com tier=0",
                "[2001:db8::1]:8080 ([2001:db8::1]:8080) w=7 zone=za origin=dns:app.example.com tier=0",
                "10.2.0.1:9000 (10.2.0.1:9000) w=500 zone=zs origin=srv:_http._tcp.example.com tier=0",
                "10.2.0.2:9001 (10.2.0.2:9001) w=1000 zone=zs origin=srv:_http._tcp.example.com tier=0",
            }));
  EXPECT_TRUE(duplicates.empty());
  // The file's entries stay as they were: expand_targets builds a copy.
  EXPECT_EQ(out.target_groups[0].discovered.size(), 2u);
  EXPECT_EQ(file.target_groups[0].targets.size(), 1u);
}

TEST(ExpandTargets, StaticTargetsBetweenAndAfterNamesKeepTheirPlace) {
  config::Config file;
  auto group = group_named("web");
  group.discovered.push_back(srv_entry("_a._tcp.example.com", "", 0));  // position 0
  group.targets.push_back(static_target("10.0.0.1:80"));                // position 1
  group.discovered.push_back(dns_entry("app.example.com", 81, std::nullopt, "", 2));
  group.targets.push_back(static_target("10.0.0.2:80"));  // position 3
  group.targets.push_back(static_target("10.0.0.3:80"));  // position 4
  file.target_groups.push_back(group);

  Names names;
  names.by_origin["srv:_a._tcp.example.com"] = {found("10.2.0.1:9000", 1, 0)};
  names.by_origin["dns:app.example.com"] = {found("10.1.0.1:0")};

  const config::Config out = expand_targets(file, names.lookup());
  EXPECT_EQ(texts(out.target_groups[0]),
            (Strings{
                "10.2.0.1:9000 (10.2.0.1:9000) w=1000 zone= origin=srv:_a._tcp.example.com tier=0",
                "10.0.0.1:80 (10.0.0.1:80) w=1 zone= origin= tier=0",
                "10.1.0.1:81 (10.1.0.1:81) w=1 zone= origin=dns:app.example.com tier=0",
                "10.0.0.2:80 (10.0.0.2:80) w=1 zone= origin= tier=0",
                "10.0.0.3:80 (10.0.0.3:80) w=1 zone= origin= tier=0",
            }))
      << "a dns: entry without weight gives weight 1";
}

TEST(ExpandTargets, DnsWeightZeroIsKept) {
  config::Config file;
  auto group = group_named("web");
  group.discovered.push_back(dns_entry("app.example.com", 80, 0, "", 0));
  file.target_groups.push_back(group);
  Names names;
  names.by_origin["dns:app.example.com"] = {found("10.1.0.1:0")};
  const config::Config out = expand_targets(file, names.lookup());
  EXPECT_EQ(texts(out.target_groups[0]), (Strings{"10.1.0.1:80 (10.1.0.1:80) w=0 zone= origin=dns:app.example.com tier=0"}));
}

TEST(ExpandTargets, SrvWeightsScaleByTheLargestAndZeroBecomesOne) {
  config::Config file;
  auto group = group_named("web");
  group.discovered.push_back(srv_entry("_s._tcp.example.com", "", 0));
  file.target_groups.push_back(group);
  Names names;
  names.by_origin["srv:_s._tcp.example.com"] = {found("10.2.0.1:1", 5, 0), found("10.2.0.2:2", 10, 0),
                                                found("10.2.0.3:3", 0, 0)};
  const config::Config out = expand_targets(file, names.lookup());
  EXPECT_EQ(texts(out.target_groups[0]), (Strings{
                                              "10.2.0.1:1 (10.2.0.1:1) w=500 zone= origin=srv:_s._tcp.example.com tier=0",
                                              "10.2.0.2:2 (10.2.0.2:2) w=1000 zone= origin=srv:_s._tcp.example.com tier=0",
                                              "10.2.0.3:3 (10.2.0.3:3) w=1 zone= origin=srv:_s._tcp.example.com tier=0",
                                          }));
}

TEST(ExpandTargets, SrvWeightsAllZeroAreOneEach) {
  config::Config file;
  auto group = group_named("web");
  group.discovered.push_back(srv_entry("_s._tcp.example.com", "", 0));
  file.target_groups.push_back(group);
  Names names;
  names.by_origin["srv:_s._tcp.example.com"] = {found("10.2.0.1:1", 0, 0), found("10.2.0.2:2", 0, 0)};
  const config::Config out = expand_targets(file, names.lookup());
  ASSERT_EQ(out.target_groups[0].targets.size(), 2u);
  EXPECT_EQ(out.target_groups[0].targets[0].weight, 1u);
  EXPECT_EQ(out.target_groups[0].targets[1].weight, 1u);
}

TEST(ExpandTargets, SrvPrioritiesBecomeTiersInAscendingOrder) {
  config::Config file;
  auto group = group_named("web");
  group.discovered.push_back(srv_entry("_s._tcp.example.com", "", 0));
  file.target_groups.push_back(group);
  Names names;
  // Not contiguous, not in order: 100 -> tier 2, 5 -> 0, 7 -> 1; equal priorities share a tier.
  names.by_origin["srv:_s._tcp.example.com"] = {found("10.2.0.1:1", 10, 100), found("10.2.0.2:2", 10, 5),
                                                found("10.2.0.3:3", 10, 7), found("10.2.0.4:4", 10, 5)};
  const config::Config out = expand_targets(file, names.lookup());
  std::map<std::string, uint32_t> tiers;
  for (const auto& t : out.target_groups[0].targets) tiers[t.address_text] = t.tier;
  EXPECT_EQ(tiers, (std::map<std::string, uint32_t>{
                       {"10.2.0.1:1", 2}, {"10.2.0.2:2", 0}, {"10.2.0.3:3", 1}, {"10.2.0.4:4", 0}}));
}

TEST(ExpandTargets, DnsTargetsAreTierZeroWhateverTheirPriorityField) {
  config::Config file;
  auto group = group_named("web");
  group.discovered.push_back(dns_entry("app.example.com", 80, std::nullopt, "", 0));
  file.target_groups.push_back(group);
  Names names;
  names.by_origin["dns:app.example.com"] = {found("10.1.0.1:0", 0, 0), found("10.1.0.2:0", 0, 0)};
  const config::Config out = expand_targets(file, names.lookup());
  for (const auto& t : out.target_groups[0].targets) EXPECT_EQ(t.tier, 0u) << t.address_text;
}

TEST(ExpandTargets, AnAddressDefinedTwiceIsKeptOnceTheFirstWins) {
  config::Config file;
  auto group = group_named("web");
  group.targets.push_back(static_target("10.1.0.1:8080", 9));                     // position 0
  group.discovered.push_back(dns_entry("app.example.com", 8080, 2, "", 1));       // position 1
  group.discovered.push_back(dns_entry("other.example.com", 8080, 4, "", 2));     // position 2
  group.discovered.push_back(srv_entry("_s._tcp.example.com", "", 3));            // position 3
  group.targets.push_back(static_target("10.3.0.1:8080", 6));                     // position 4
  file.target_groups.push_back(group);

  Names names;
  names.by_origin["dns:app.example.com"] = {found("10.1.0.1:0"), found("10.1.0.2:0")};
  names.by_origin["dns:other.example.com"] = {found("10.1.0.2:0"), found("10.1.0.3:0")};
  names.by_origin["srv:_s._tcp.example.com"] = {found("10.1.0.3:8080", 1, 0), found("10.3.0.1:8080", 1, 0),
                                                found("10.1.0.3:8081", 1, 0)};

  std::vector<DuplicateTarget> duplicates;
  const config::Config out = expand_targets(file, names.lookup(), &duplicates);
  EXPECT_EQ(texts(out.target_groups[0]),
            (Strings{
                "10.1.0.1:8080 (10.1.0.1:8080) w=9 zone= origin= tier=0",
                "10.1.0.2:8080 (10.1.0.2:8080) w=2 zone= origin=dns:app.example.com tier=0",
                "10.1.0.3:8080 (10.1.0.3:8080) w=4 zone= origin=dns:other.example.com tier=0",
                "10.3.0.1:8080 (10.3.0.1:8080) w=1000 zone= origin=srv:_s._tcp.example.com tier=0",
                "10.1.0.3:8081 (10.1.0.3:8081) w=1000 zone= origin=srv:_s._tcp.example.com tier=0",
            }));
  EXPECT_EQ(texts(duplicates), (Strings{
                                   "web 10.1.0.1:8080 lost=dns:app.example.com kept=the file",
                                   "web 10.1.0.2:8080 lost=dns:other.example.com kept=dns:app.example.com",
                                   "web 10.1.0.3:8080 lost=srv:_s._tcp.example.com kept=dns:other.example.com",
                                   "web 10.3.0.1:8080 lost=the file kept=srv:_s._tcp.example.com",
                               }));
}

TEST(ExpandTargets, DuplicatesMayBeLeftUnasked) {
  config::Config file;
  auto group = group_named("web");
  group.targets.push_back(static_target("10.1.0.1:80"));
  group.discovered.push_back(dns_entry("app.example.com", 80, std::nullopt, "", 1));
  file.target_groups.push_back(group);
  Names names;
  names.by_origin["dns:app.example.com"] = {found("10.1.0.1:0")};
  const config::Config out = expand_targets(file, names.lookup(), nullptr);
  EXPECT_EQ(texts(out.target_groups[0]), (Strings{"10.1.0.1:80 (10.1.0.1:80) w=1 zone= origin= tier=0"}));
}

TEST(ExpandTargets, NamesWithoutAddressesAddNothing) {
  config::Config file;
  auto group = group_named("web");
  group.targets.push_back(static_target("10.0.0.1:80"));
  group.discovered.push_back(dns_entry("unknown.example.com", 80, std::nullopt, "", 1));  // nullptr
  group.discovered.push_back(dns_entry("empty.example.com", 80, std::nullopt, "", 2));    // an empty list
  group.discovered.push_back(srv_entry("_s._tcp.example.com", "", 3));                    // nullptr
  group.targets.push_back(static_target("10.0.0.2:80"));
  file.target_groups.push_back(group);
  Names names;
  names.by_origin["dns:empty.example.com"] = {};
  std::vector<DuplicateTarget> duplicates;
  const config::Config out = expand_targets(file, names.lookup(), &duplicates);
  EXPECT_EQ(texts(out.target_groups[0]), (Strings{
                                              "10.0.0.1:80 (10.0.0.1:80) w=1 zone= origin= tier=0",
                                              "10.0.0.2:80 (10.0.0.2:80) w=1 zone= origin= tier=0",
                                          }));
  EXPECT_TRUE(duplicates.empty());
}

TEST(ExpandTargets, GroupsWithoutDiscoveredEntriesAreUnchanged) {
  config::Config file;
  file.resolver.min_ttl = config::Duration{2'500};
  auto plain = group_named("plain");
  auto first = static_target("10.0.0.1:80", 5, "a");
  first.operator_drain = true;
  plain.targets.push_back(first);
  plain.targets.push_back(static_target("10.0.0.1:80", 2));  // even a repeated address stays as the file has it
  plain.targets.push_back(static_target("[2001:db8::5]:443", 0, "b"));
  auto empty = group_named("empty");
  auto followed = group_named("followed");
  followed.discovered.push_back(dns_entry("app.example.com", 80, std::nullopt, "", 0));
  file.target_groups = {plain, empty, followed};

  Names names;
  names.by_origin["dns:app.example.com"] = {found("10.0.0.1:0")};
  std::vector<DuplicateTarget> duplicates;
  const config::Config out = expand_targets(file, names.lookup(), &duplicates);
  ASSERT_EQ(out.target_groups.size(), 3u);
  EXPECT_EQ(out.target_groups[0].name, "plain");
  EXPECT_EQ(texts(out.target_groups[0]), texts(file.target_groups[0]));
  EXPECT_EQ(texts(out.target_groups[0]), (Strings{
                                              "10.0.0.1:80 (10.0.0.1:80) w=5 zone=a origin= tier=0 drain",
                                              "10.0.0.1:80 (10.0.0.1:80) w=2 zone= origin= tier=0",
                                              "[2001:db8::5]:443 ([2001:db8::5]:443) w=0 zone=b origin= tier=0",
                                          }));
  EXPECT_EQ(out.target_groups[1].name, "empty");
  EXPECT_TRUE(out.target_groups[1].targets.empty());
  EXPECT_EQ(texts(out.target_groups[2]),
            (Strings{"10.0.0.1:80 (10.0.0.1:80) w=1 zone= origin=dns:app.example.com tier=0"}))
      << "the same address in another group is no duplicate";
  EXPECT_TRUE(duplicates.empty());
  EXPECT_EQ(out.resolver, file.resolver);
}

}  // namespace fulcrum::discovery::expand_targets_test
