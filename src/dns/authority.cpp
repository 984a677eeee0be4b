#include "dns/authority.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace fulcrum::dns {
namespace {

Address address_of(const core::Endpoint& endpoint) {
  Address address;
  if (endpoint.family() == AF_INET) {
    address.length = 4;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in*>(&endpoint.storage)->sin_addr, 4);
  } else {
    address.length = 16;
    std::memcpy(address.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&endpoint.storage)->sin6_addr, 16);
  }
  return address;
}

bool contains(const config::Cidr& cidr, const ClientLocation& client) {
  if (cidr.family != client.family) return false;
  uint32_t bits = cidr.prefix_length;
  size_t whole = bits / 8;
  if (std::memcmp(cidr.bytes.data(), client.bytes.data(), whole) != 0) return false;
  if (bits % 8 == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
  return (cidr.bytes[whole] & mask) == (client.bytes[whole] & mask);
}

uint32_t seconds(config::Duration d) { return static_cast<uint32_t>(d.count() / 1000); }

}  // namespace

Authority::Authority(std::shared_ptr<const upstream::Snapshot> snapshot) : snapshot_(std::move(snapshot)) {
  const config::DnsConfig& dns = snapshot_->config->dns;
  zones_ = dns.zones;
  // Longest zone first, so that a delegated-looking sub-zone wins over its parent.
  std::sort(zones_.begin(), zones_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  negative_ttl_ = seconds(dns.ttl);
  serial_ = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());

  geoip_ = dns.geoip;
  country_region_.fill(-1);
  continent_region_.fill(-1);
  std::unordered_map<std::string, uint32_t> site_index;
  for (const auto& site : dns.sites) {
    Site entry;
    entry.name = site.name;
    entry.group_index = snapshot_->group_index(site.group);
    if (entry.group_index >= 0) {
      for (const auto& target : snapshot_->groups[static_cast<size_t>(entry.group_index)].targets) {
        entry.addresses.push_back(address_of(target.address));
      }
    }
    site_index.emplace(site.name, static_cast<uint32_t>(sites_.size()));
    sites_.push_back(std::move(entry));
  }
  for (const auto& region : dns.regions) {
    const auto index = static_cast<uint32_t>(regions_.size());
    std::vector<uint32_t> order;
    for (const auto& site : region.sites_by_distance) order.push_back(site_index.at(site));
    regions_.push_back(std::move(order));
    region_names_.push_back(region.name);
    // The loader checked that each code is two letters and belongs to one region.
    for (const auto& code : region.countries) country_region_[core::geo_code_index(code)] = static_cast<int32_t>(index);
    for (const auto& code : region.continents) continent_region_[core::geo_code_index(code)] = static_cast<int32_t>(index);
    for (const auto& text : region.networks) {
      std::string error;
      if (auto cidr = config::parse_cidr(text, error)) networks_.push_back({*cidr, index});
    }
  }
  std::stable_sort(networks_.begin(), networks_.end(),
                   [](const Network& a, const Network& b) { return a.cidr.prefix_length > b.cidr.prefix_length; });
  for (const auto& name : dns.names) {
    Name entry{name.policy, {}, seconds(name.ttl), std::min<uint32_t>(name.max_answers, kMaxAnswers)};
    for (const auto& choice : name.sites) entry.sites.push_back({site_index.at(choice.site), choice.weight});
    names_.emplace(name.name, std::move(entry));
    // Every ancestor up to the zone exists (as an empty non-terminal): NODATA there, not NXDOMAIN.
    std::string_view zone = zone_of(name.name);
    for (size_t dot = name.name.find('.'); dot != std::string::npos && name.name.size() - dot - 1 > zone.size();
         dot = name.name.find('.', dot + 1)) {
      interior_names_.emplace(name.name.substr(dot + 1));
    }
  }
}

std::string_view Authority::zone_of(std::string_view name) const {
  for (const auto& zone : zones_) {
    if (name == zone) return zone;
    if (name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.') return zone;
  }
  return {};
}

bool Authority::site_healthy(uint32_t site) const {
  const Site& s = sites_[site];
  if (s.group_index < 0) return false;
  // A group failing open (no healthy target, so the workers try them all) is a site that is
  // down: DNS has another site to send clients to, which the workers do not.
  const auto& group = snapshot_->groups[static_cast<size_t>(s.group_index)];
  return !group.failing_open && !group.pickers->targets().eligible.empty();
}

int Authority::region_of(const ClientLocation& client) const {
  for (const auto& network : networks_) {
    if (contains(network.cidr, client)) return static_cast<int>(network.region);
  }
  if (geoip_ && client.family != 0) {
    const core::GeoLocation where = geoip_->lookup(client.family, client.bytes.data());
    if (where.country >= 0 && country_region_[where.country] >= 0) return country_region_[where.country];
    if (where.continent >= 0 && continent_region_[where.continent] >= 0) return continent_region_[where.continent];
  }
  return -1;
}

int Authority::choose_site(const Name& name, int region, uint64_t random, bool require_healthy) const {
  auto usable = [&](uint32_t site) {
    if (require_healthy) return site_healthy(site);
    return sites_[site].group_index >= 0 && !sites_[site].addresses.empty();
  };
  auto listed = [&](uint32_t site) {
    return std::any_of(name.sites.begin(), name.sites.end(), [&](const Choice& c) { return c.site == site; });
  };
  switch (name.policy) {
    case config::DnsPolicy::weighted: {
      uint64_t total = 0;
      for (const auto& choice : name.sites) total += usable(choice.site) ? choice.weight : 0;
      if (total > 0) {
        uint64_t point = random % total;
        for (const auto& choice : name.sites) {
          if (!usable(choice.site)) continue;
          if (point < choice.weight) return static_cast<int>(choice.site);
          point -= choice.weight;
        }
      }
      break;  // every usable site has weight 0: the first usable one, below
    }
    case config::DnsPolicy::nearest: {
      if (region >= 0) {
        for (uint32_t site : regions_[static_cast<size_t>(region)]) {
          if (listed(site) && usable(site)) return static_cast<int>(site);
        }
      }
      break;  // a client of no region, or no usable site in its list: the name's own order
    }
    case config::DnsPolicy::failover:
      break;
  }
  for (const auto& choice : name.sites) {
    if (usable(choice.site)) return static_cast<int>(choice.site);
  }
  return -1;
}

Decision Authority::decide(const Query& query, const ClientLocation& client, std::array<Address, kMaxAnswers>& scratch,
                           uint64_t random) {
  Decision decision;
  Answer& answer = decision.answer;
  answer.negative_ttl = negative_ttl_;
  answer.soa_serial = serial_;
  if (query.opcode != 0) {
    answer.rcode = Rcode::not_implemented;
    answer.authoritative = false;
    return decision;
  }
  const std::string_view name = query.name_view();
  const std::string_view zone = zone_of(name);
  if (zone.empty() || (query.klass != kClassIn && query.klass != kTypeAny)) {
    answer.rcode = Rcode::refused;  // not ours: we are no resolver
    answer.authoritative = false;
    return decision;
  }
  if (query.has_edns && query.edns_version > 0) {
    answer.bad_edns_version = true;
    answer.authoritative = false;
    return decision;
  }
  answer.zone = zone;
  auto found = names_.find(name);
  if (found == names_.end()) {
    if (name == zone && query.type == kTypeSoa) {
      answer.soa_in_answer = true;
      answer.ttl = negative_ttl_;
    } else if (name != zone && !interior_names_.contains(name)) {
      answer.rcode = Rcode::name_error;
    }
    return decision;  // NXDOMAIN, or NODATA with the SOA
  }
  const Name& entry = found->second;
  const bool wants_v4 = query.type == kTypeA || query.type == kTypeAny;
  const bool wants_v6 = query.type == kTypeAaaa || query.type == kTypeAny;
  if (name == zone && query.type == kTypeSoa) {
    answer.soa_in_answer = true;
    answer.ttl = negative_ttl_;
    return decision;
  }
  if (!wants_v4 && !wants_v6) return decision;  // NODATA

  // Looked up once per query (the GeoIP lookup is the costly part), and only for `nearest`.
  if (entry.policy == config::DnsPolicy::nearest && client.family != 0) decision.region = region_of(client);
  int site = choose_site(entry, decision.region, random, true);
  if (site < 0) {
    site = choose_site(entry, decision.region, random, false);
    decision.failed_open = site >= 0;
  }
  decision.site = site;
  if (entry.policy == config::DnsPolicy::nearest && query.client_subnet) {
    decision.ecs_scope_prefix = query.client_subnet->source_prefix;
  }
  if (site < 0) return decision;
  const Site& chosen = sites_[static_cast<size_t>(site)];
  const auto& set = snapshot_->groups[static_cast<size_t>(chosen.group_index)].pickers->targets();
  // Candidates: eligible targets (or all, failing open) of the wanted families, in a rotating
  // order so that clients spread over them.
  size_t count = 0;
  auto consider = [&](uint32_t index) {
    const Address& address = chosen.addresses[index];
    if ((address.length == 4 && wants_v4) || (address.length == 16 && wants_v6)) return true;
    return false;
  };
  std::array<uint32_t, 1024> picked_indexes;
  size_t candidates = 0;
  if (decision.failed_open) {
    for (uint32_t i = 0; i < chosen.addresses.size() && candidates < picked_indexes.size(); ++i) {
      if (consider(i)) picked_indexes[candidates++] = i;
    }
  } else {
    for (uint32_t index : set.eligible) {
      if (candidates < picked_indexes.size() && consider(index)) picked_indexes[candidates++] = index;
    }
  }
  if (candidates > 0) {
    const size_t start = static_cast<size_t>(rotation_++ % candidates);
    const size_t take = std::min<size_t>(candidates, entry.max_answers);
    for (size_t i = 0; i < take; ++i) scratch[count++] = chosen.addresses[picked_indexes[(start + i) % candidates]];
  }
  answer.addresses = std::span<const Address>(scratch.data(), count);
  answer.ttl = entry.ttl_seconds;
  if (count > 0) answer.zone = {};  // a positive answer carries no SOA
  return decision;
}

}  // namespace fulcrum::dns
