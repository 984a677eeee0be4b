#include "config/resolver_reader.hpp"

#include <arpa/inet.h>

#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

using namespace std::chrono_literals;

// A nameserver is an address, never a name (resolving it would need a resolver), with port 53
// when none is written: "10.0.0.2", "10.0.0.2:53", "[fd00::2]:53", "fd00::2".
std::optional<core::Endpoint> read_nameserver(const Field& field, Diagnostics& diagnostics) {
  auto text = read_string(field, diagnostics);
  if (!text) return std::nullopt;
  std::string with_port = *text;
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET6, text->c_str(), &v6) == 1) with_port = "[" + *text + "]:53";
  else if (inet_pton(AF_INET, text->c_str(), &v4) == 1) with_port = *text + ":53";
  std::string host = with_port.substr(0, with_port.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (inet_pton(AF_INET, host.c_str(), &v4) != 1 && inet_pton(AF_INET6, host.c_str(), &v6) != 1) {
    diagnostics.error(field.mark(), field.name + ": '" + *text +
                                        "' is not an IP address (a nameserver cannot be a name: write "
                                        "ADDRESS or ADDRESS:PORT, [IPv6]:PORT)");
    return std::nullopt;
  }
  core::EndpointError error;
  auto endpoint = core::parse_endpoint(with_port, error);
  if (!endpoint) diagnostics.error(field.mark(), field.name + ": " + error.message);
  return endpoint;
}

}  // namespace

ResolverConfig read_resolver(const Field& field, Diagnostics& diagnostics) {
  ResolverConfig resolver;
  MapFields map(field, schema::kResolver, diagnostics);
  if (!map.is_map()) return resolver;
  if (const Field* servers = map.get("nameservers")) {
    if (auto items = read_list(*servers, diagnostics)) {
      for (const auto& item : *items) {
        if (auto endpoint = read_nameserver(item, diagnostics)) resolver.nameservers.push_back(*endpoint);
      }
    }
  }
  read_into(map, "timeout", resolver.timeout, [&](const Field& f) { return read_duration(f, diagnostics, 100ms, 60s); });
  read_into(map, "min_ttl", resolver.min_ttl, [&](const Field& f) { return read_duration(f, diagnostics, 1s, 24h); });
  read_into(map, "max_ttl", resolver.max_ttl, [&](const Field& f) { return read_duration(f, diagnostics, 1s, 24h); });
  read_into(map, "hold_valid", resolver.hold_valid,
            [&](const Field& f) { return read_duration(f, diagnostics, 0s, 24h); });
  read_into(map, "hold_nx", resolver.hold_nx, [&](const Field& f) { return read_duration(f, diagnostics, 0s, 24h); });
  read_into(map, "hold_obsolete", resolver.hold_obsolete,
            [&](const Field& f) { return read_duration(f, diagnostics, 0s, 24h); });
  read_into(map, "prefer", resolver.prefer,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kAddressPreference); });
  if (resolver.max_ttl < resolver.min_ttl) {
    const Field* max = map.get("max_ttl");
    diagnostics.error(max != nullptr ? max->mark() : map.mark(),
                      "resolver: max_ttl (" + std::to_string(resolver.max_ttl.count()) + "ms) is below min_ttl (" +
                          std::to_string(resolver.min_ttl.count()) + "ms)");
  }
  return resolver;
}

}  // namespace fulcrum::config
