#pragma once
// What the responder knows and decides, without I/O: the zones, names, sites and regions of
// the `dns:` section bound to one upstream snapshot (so answers follow target health), and the
// choice of a site and its addresses for one query. Rebuilt on the responder's thread each time
// a snapshot arrives; used by that thread only.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/cidr.hpp"
#include "core/geoip_database.hpp"
#include "dns/message.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::dns {

inline constexpr size_t kMaxAnswers = 64;

// Where the client is: its EDNS Client Subnet when the resolver sent one, else the resolver.
struct ClientLocation {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};
};

struct Decision {
  Answer answer;
  uint8_t ecs_scope_prefix = 0;  // how much of the client subnet the answer depended on
  int site = -1;                 // the site chosen, or -1
  int region = -1;               // nearest: the client's region (networks, then GeoIP), or -1
  bool failed_open = false;      // no site was healthy: answered with every target of one
};

class Authority {
 public:
  explicit Authority(std::shared_ptr<const upstream::Snapshot> snapshot);

  // Decides the answer to a decoded query. The addresses go into `scratch`, which the returned
  // Answer refers to. `random` is a fresh random number (weighted choice).
  Decision decide(const Query& query, const ClientLocation& client, std::array<Address, kMaxAnswers>& scratch,
                  uint64_t random);

  const std::string& site_name(int site) const { return sites_[static_cast<size_t>(site)].name; }
  const std::string& region_name(int region) const { return region_names_[static_cast<size_t>(region)]; }

  // The client's region: the most specific of the regions' networks that contains it, else the
  // region listing its country (geoip_file's country.iso_code), else its continent; -1 for none.
  int region_of(const ClientLocation& client) const;
  const upstream::Snapshot& snapshot() const { return *snapshot_; }

 private:
  struct Site {
    std::string name;
    int group_index = -1;
    std::vector<Address> addresses;  // parallel to the group's targets
  };
  struct Choice {
    uint32_t site;
    uint32_t weight;
  };
  struct Name {
    config::DnsPolicy policy;
    std::vector<Choice> sites;
    uint32_t ttl_seconds;
    uint32_t max_answers;
  };
  struct Network {
    config::Cidr cidr;
    uint32_t region;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  bool site_healthy(uint32_t site) const;
  int choose_site(const Name& name, int region, uint64_t random, bool require_healthy) const;
  std::string_view zone_of(std::string_view name) const;

  std::shared_ptr<const upstream::Snapshot> snapshot_;
  std::vector<std::string> zones_;
  std::vector<Site> sites_;
  std::vector<std::vector<uint32_t>> regions_;  // sites by distance, per region
  std::vector<std::string> region_names_;
  std::vector<Network> networks_;               // most specific first
  // GeoIP: the database of this configuration (read without locks) and, per two-letter code
  // (core::geo_code_index), the region that lists it or -1.
  std::shared_ptr<const core::GeoIpDatabase> geoip_;
  std::array<int32_t, core::kGeoCodeCount> country_region_;
  std::array<int32_t, core::kGeoCodeCount> continent_region_;
  std::unordered_map<std::string, Name, StringHash, std::equal_to<>> names_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> interior_names_;  // ancestors of names: NODATA, not NXDOMAIN
  uint32_t serial_ = 1;
  uint32_t negative_ttl_ = 30;
  uint64_t rotation_ = 0;
};

}  // namespace fulcrum::dns
