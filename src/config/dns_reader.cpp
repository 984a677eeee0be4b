#include "config/dns_reader.hpp"

#include <cctype>
#include <map>
#include <tuple>

#include "config/ascii_case.hpp"
#include "config/cidr.hpp"
#include "config/did_you_mean.hpp"
#include "config/enum_names.hpp"
#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

using namespace std::chrono_literals;

// DNS counts TTLs in seconds; a day is plenty for answers that follow health.
constexpr Duration kMinTtl = 0s, kMaxTtl = 86400s;
constexpr uint64_t kMaxAnswers = 64;

bool inside_zone(const std::string& name, const std::string& zone) {
  if (name == zone) return true;
  return name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.';
}

std::optional<std::string> read_dns_name(const Field& field, Diagnostics& diagnostics) {
  auto text = read_string(field, diagnostics);
  if (!text) return std::nullopt;
  auto name = normalize_dns_name(*text);
  if (!name) {
    diagnostics.error(field.mark(), field.name + ": '" + *text +
                                        "' is not a DNS name (labels of 1..63 letters, digits, '-' or '_', "
                                        "253 characters at most)");
  }
  return name;
}

// "unknown site 'eu-wst'; did you mean 'eu-west'?"
bool check_site(const std::string& site, const YAML::Mark& mark, const std::vector<DnsSite>& sites,
                Diagnostics& diagnostics) {
  std::vector<std::string> names;
  for (const auto& known : sites) {
    if (known.name == site) return true;
    names.push_back(known.name);
  }
  std::string message = "no dns site named '" + site + "'";
  if (auto suggestion = closest_match(site, names)) message += "; did you mean '" + *suggestion + "'?";
  else if (names.empty()) message += " (dns.sites is empty)";
  diagnostics.error(mark, message);
  return false;
}

std::vector<DnsSite> read_sites(const Field& field, const Config& config, Diagnostics& diagnostics) {
  std::vector<DnsSite> sites;
  auto items = read_list(field, diagnostics);
  if (!items) return sites;
  std::vector<std::string> group_names;
  for (const auto& group : config.target_groups) group_names.push_back(group.name);
  for (const auto& item : *items) {
    MapFields map(item, schema::kDnsSite, diagnostics);
    if (!map.is_map()) continue;
    DnsSite site;
    if (const Field* name = map.get("name")) {
      if (auto text = read_name(*name, diagnostics)) {
        site.name = *text;
        for (const auto& earlier : sites) {
          if (earlier.name == site.name) diagnostics.error(name->mark(), "duplicate dns site name '" + site.name + "'");
        }
      }
    } else {
      diagnostics.error(map.mark(), "a dns site needs a name");
    }
    if (const Field* group = map.get("group")) {
      if (auto text = read_string(*group, diagnostics)) {
        site.group = *text;
        if (config.find_group(site.group) == nullptr) {
          std::string message = "group: no target group named '" + site.group + "'";
          if (auto suggestion = closest_match(site.group, group_names)) message += "; did you mean '" + *suggestion + "'?";
          diagnostics.error(group->mark(), message);
        }
      }
    } else {
      diagnostics.error(map.mark(), "dns site '" + site.name + "' needs a group (the target group whose targets it answers with)");
    }
    sites.push_back(std::move(site));
  }
  return sites;
}

// MaxMind's continent codes (continent.code in GeoLite2/GeoIP2), with the names people write instead.
struct Continent {
  std::string_view code;
  std::string_view name;
};
constexpr Continent kContinents[] = {{"AF", "africa"},  {"AN", "antarctica"},    {"AS", "asia"},
                                     {"EU", "europe"},  {"NA", "north america"}, {"OC", "oceania"},
                                     {"SA", "south america"}};

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// One code may belong to one region only: a client maps to one region.
struct CodeOwners {
  const char* what;  // "country", "continent"
  std::map<std::string, std::pair<std::string, int>> owner;  // code -> region name, line (1-based)

  void claim(const std::string& code, const std::string& region, const YAML::Mark& mark, Diagnostics& diagnostics) {
    auto [at, inserted] = owner.emplace(code, std::pair{region, mark.line + 1});
    if (inserted) return;
    if (at->second.first == region) {
      diagnostics.error(mark, std::string(what) + " '" + code + "' is listed twice in region '" + region + "'");
    } else {
      diagnostics.error(mark, std::string(what) + " '" + code + "' is already in region '" + at->second.first +
                                  "' (line " + std::to_string(at->second.second) + "); a client maps to one region");
    }
  }
};

std::optional<std::string> read_country(const TextItem& item, Diagnostics& diagnostics) {
  std::string code = upper(item.text);
  if (code == "UK") {
    diagnostics.error(item.mark, "countries: 'UK' is not an ISO 3166-1 code; the United Kingdom is 'GB'");
    return std::nullopt;
  }
  if (core::geo_code_index(code) < 0) {
    diagnostics.error(item.mark, "countries: '" + item.text +
                                     "' is not a two-letter ISO 3166-1 country code (as in the database's "
                                     "country.iso_code: DE, US, JP, ...)");
    return std::nullopt;
  }
  return code;
}

std::optional<std::string> read_continent(const TextItem& item, Diagnostics& diagnostics) {
  std::string code = upper(item.text);
  std::string list;
  for (const auto& continent : kContinents) {
    if (continent.code == code) return code;
    list += (list.empty() ? "" : ", ") + std::string(continent.code);
  }
  std::string message = "continents: '" + item.text + "' is not a continent code (" + list + ")";
  for (const auto& continent : kContinents) {
    if (continent.name == lower_case(item.text)) message += "; did you mean '" + std::string(continent.code) + "'?";
  }
  diagnostics.error(item.mark, message);
  return std::nullopt;
}

std::vector<DnsRegion> read_regions(const Field& field, const std::vector<DnsSite>& sites, const Field* geoip_file,
                                    Diagnostics& diagnostics) {
  std::vector<DnsRegion> regions;
  auto items = read_list(field, diagnostics);
  if (!items) return regions;
  CodeOwners countries{"country", {}}, continents{"continent", {}};
  bool uses_geoip = false;
  for (const auto& item : *items) {
    MapFields map(item, schema::kDnsRegion, diagnostics);
    if (!map.is_map()) continue;
    DnsRegion region;
    if (const Field* name = map.get("name")) {
      if (auto text = read_name(*name, diagnostics)) region.name = *text;
    } else {
      diagnostics.error(map.mark(), "a dns region needs a name");
    }
    const Field* networks = map.get("networks");
    if (networks != nullptr) {
      if (auto list = read_string_list(*networks, diagnostics)) {
        for (const auto& network : *list) {
          std::string error;
          if (parse_cidr(network.text, error)) region.networks.push_back(network.text);
          else diagnostics.error(network.mark, "networks: " + error);
        }
      }
    }
    // GeoIP codes: which field of the database each list is matched against is in its name.
    for (auto [key, owners, out, reader] :
         {std::tuple{"countries", &countries, &region.countries, &read_country},
          std::tuple{"continents", &continents, &region.continents, &read_continent}}) {
      const Field* codes = map.get(key);
      if (codes == nullptr) continue;
      uses_geoip = true;
      if (geoip_file == nullptr) {
        diagnostics.error(codes->key_mark(), std::string(key) +
                                                 " needs dns.geoip_file: a MaxMind database (GeoLite2-Country.mmdb "
                                                 "or GeoLite2-City.mmdb) that maps client addresses to them");
      }
      auto list = read_string_list(*codes, diagnostics);
      if (!list) continue;
      for (const auto& code_item : *list) {
        if (auto code = reader(code_item, diagnostics)) {
          owners->claim(*code, region.name, code_item.mark, diagnostics);
          out->push_back(*code);
        }
      }
    }
    if (networks == nullptr && map.get("countries") == nullptr && map.get("continents") == nullptr) {
      diagnostics.error(map.mark(), "dns region '" + region.name +
                                        "' needs networks (CIDRs of its clients), countries or continents "
                                        "(with dns.geoip_file)");
    }
    if (const Field* order = map.get("sites_by_distance")) {
      if (auto list = read_string_list(*order, diagnostics)) {
        for (const auto& site : *list) {
          if (check_site(site.text, site.mark, sites, diagnostics)) region.sites_by_distance.push_back(site.text);
        }
      }
    } else {
      diagnostics.error(map.mark(), "dns region '" + region.name + "' needs sites_by_distance (nearest first)");
    }
    regions.push_back(std::move(region));
  }
  if (geoip_file != nullptr && !uses_geoip) {
    diagnostics.error(geoip_file->key_mark(),
                      "geoip_file is given but no dns region lists countries or continents, so it would never be used");
  }
  return regions;
}

// Opened here, once per loaded configuration, so that a missing or corrupt database is an
// error with its line:column, at start and on reload alike (the old configuration keeps serving).
void read_geoip_file(const Field& field, DnsConfig& dns, Diagnostics& diagnostics) {
  auto path = read_string(field, diagnostics);
  if (!path) return;
  if (path->empty()) {
    diagnostics.error(field.mark(), "geoip_file: the path is empty");
    return;
  }
  dns.geoip_file = *path;
  std::string error;
  dns.geoip = core::GeoIpDatabase::open(*path, error);
  if (!dns.geoip) diagnostics.error(field.mark(), "geoip_file: cannot open MaxMind database '" + *path + "': " + error);
}

DnsName read_name_entry(const Field& item, const DnsConfig& dns, Diagnostics& diagnostics) {
  DnsName entry;
  entry.ttl = dns.ttl;
  entry.max_answers = dns.max_answers;
  MapFields map(item, schema::kDnsName, diagnostics);
  if (!map.is_map()) return entry;
  if (const Field* name = map.get("name")) {
    if (auto text = read_dns_name(*name, diagnostics)) {
      entry.name = *text;
      bool in_zone = false;
      for (const auto& zone : dns.zones) in_zone = in_zone || inside_zone(entry.name, zone);
      if (!in_zone && !dns.zones.empty()) {
        diagnostics.error(name->mark(), "'" + entry.name + "' is not inside any of dns.zones, so it would never be asked for");
      }
    }
  } else {
    diagnostics.error(map.mark(), "a dns name needs a name (e.g. www.example.com)");
  }
  read_into(map, "policy", entry.policy, [&](const Field& f) { return read_enum(f, diagnostics, names::kDnsPolicy); });
  read_into(map, "ttl", entry.ttl, [&](const Field& f) { return read_duration(f, diagnostics, kMinTtl, kMaxTtl); });
  read_into(map, "max_answers", entry.max_answers,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, kMaxAnswers); });
  const Field* sites = map.get("sites");
  if (sites == nullptr) {
    diagnostics.error(map.mark(), "dns name '" + entry.name + "' needs sites: a list of site names");
    return entry;
  }
  auto items = read_list(*sites, diagnostics);
  if (!items) return entry;
  if (items->empty()) diagnostics.error(sites->mark(), "sites: the list is empty");
  for (const auto& site_item : *items) {
    DnsSiteChoice choice;
    YAML::Mark mark = site_item.mark();
    if (site_item.value.IsScalar()) {
      choice.site = site_item.value.Scalar();
    } else {
      MapFields choice_map(site_item, schema::kDnsSiteChoice, diagnostics);
      if (!choice_map.is_map()) continue;
      if (const Field* site = choice_map.get("site")) {
        if (auto text = read_string(*site, diagnostics)) choice.site = *text;
        mark = site->mark();
      } else {
        diagnostics.error(choice_map.mark(), "a site choice needs site: NAME");
        continue;
      }
      read_into(choice_map, "weight", choice.weight, [&](const Field& f) { return read_uint(f, diagnostics, 0, 1000); });
    }
    for (const auto& earlier : entry.sites) {
      if (earlier.site == choice.site) diagnostics.error(mark, "site '" + choice.site + "' is listed twice");
    }
    if (check_site(choice.site, mark, dns.sites, diagnostics)) entry.sites.push_back(choice);
  }
  return entry;
}

}  // namespace

std::optional<std::string> normalize_dns_name(std::string_view text) {
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return std::nullopt;
  std::string out;
  size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok || ++label > 63) return std::nullopt;
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    out += c;
  }
  if (label == 0) return std::nullopt;
  return out;
}

DnsConfig read_dns(const Field& field, const Config& config, const std::vector<YAML::Mark>& listen_marks,
                   Diagnostics& diagnostics) {
  DnsConfig dns;
  dns.enabled = true;
  MapFields map(field, schema::kDns, diagnostics);
  if (!map.is_map()) return dns;
  if (const Field* listen = map.get("listen")) {
    if (auto endpoint = read_endpoint(*listen, diagnostics, &dns.listen_text)) {
      dns.listen = *endpoint;
      for (size_t i = 0; i < config.listeners.size(); ++i) {
        const auto& listener = config.listeners[i];
        if (listener.listen == dns.listen) {
          diagnostics.error(listen->mark(), "dns.listen " + dns.listen_text + " is also used by listener '" +
                                                listener.name + "' (line " + std::to_string(listen_marks[i].line + 1) +
                                                "); the responder needs it for both UDP and TCP");
        }
      }
    }
  } else {
    diagnostics.error(map.mark(), "dns needs listen: HOST:PORT (served over UDP and TCP; 53 is the standard port)");
  }
  if (const Field* zones = map.get("zones")) {
    if (auto list = read_string_list(*zones, diagnostics)) {
      if (list->empty()) diagnostics.error(zones->mark(), "zones: the list is empty");
      for (const auto& zone : *list) {
        if (auto name = normalize_dns_name(zone.text)) dns.zones.push_back(*name);
        else diagnostics.error(zone.mark, "zones: '" + zone.text + "' is not a DNS name");
      }
    }
  } else {
    diagnostics.error(map.mark(), "dns needs zones: the domains it answers for (e.g. [example.com])");
  }
  read_into(map, "ttl", dns.ttl, [&](const Field& f) { return read_duration(f, diagnostics, kMinTtl, kMaxTtl); });
  read_into(map, "max_answers", dns.max_answers, [&](const Field& f) { return read_uint(f, diagnostics, 1, kMaxAnswers); });
  if (const Field* sites = map.get("sites")) dns.sites = read_sites(*sites, config, diagnostics);
  const Field* geoip_file = map.get("geoip_file");
  if (geoip_file != nullptr) read_geoip_file(*geoip_file, dns, diagnostics);
  if (const Field* regions = map.get("regions")) {
    dns.regions = read_regions(*regions, dns.sites, geoip_file, diagnostics);
  } else if (geoip_file != nullptr) {
    diagnostics.error(geoip_file->key_mark(), "geoip_file is given but there are no dns regions to map countries to");
  }
  if (const Field* names = map.get("names")) {
    if (auto items = read_list(*names, diagnostics)) {
      for (const auto& item : *items) {
        DnsName entry = read_name_entry(item, dns, diagnostics);
        for (const auto& earlier : dns.names) {
          if (!entry.name.empty() && earlier.name == entry.name) {
            diagnostics.error(item.mark(), "duplicate dns name '" + entry.name + "'");
          }
        }
        dns.names.push_back(std::move(entry));
      }
    }
  }
  return dns;
}

}  // namespace fulcrum::config
