#include "config/target_group_reader.hpp"

#include "config/duration.hpp"
#include "config/escaped_bytes.hpp"
#include "config/status_matcher.hpp"
#include "config/dns_reader.hpp"
#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

using namespace std::chrono_literals;

bool is_cookie_name(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::optional<HashKey> read_hash_key(const Field& field, Diagnostics& diagnostics) {
  auto text = read_string(field, diagnostics);
  if (!text) return std::nullopt;
  if (*text == "source_ip") return HashKey{HashKeyKind::source_ip, ""};
  if (*text == "uri") return HashKey{HashKeyKind::uri, ""};
  for (auto [prefix, kind] : {std::pair{std::string_view("header:"), HashKeyKind::header},
                              std::pair{std::string_view("cookie:"), HashKeyKind::cookie}}) {
    if (text->starts_with(prefix)) {
      std::string name = text->substr(prefix.size());
      if (is_cookie_name(name)) return HashKey{kind, name};
      diagnostics.error(field.mark(), "hash_key: '" + *text + "' needs a name after '" + std::string(prefix) + "'");
      return std::nullopt;
    }
  }
  diagnostics.error(field.mark(),
                    "unknown hash_key '" + *text + "' (expected source_ip | header:NAME | cookie:NAME | uri)");
  return std::nullopt;
}

HealthCheck read_health_check(const Field& field, Diagnostics& diagnostics) {
  HealthCheck check;
  check.enabled = true;
  MapFields map(field, schema::kHealthCheck, diagnostics);
  if (!map.is_map()) return check;
  read_into(map, "enabled", check.enabled, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "protocol", check.protocol,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kHealthProtocol, "health_check protocol"); });
  const bool http = check.protocol == HealthProtocol::http || check.protocol == HealthProtocol::https;
  if (const Field* port = map.get("port")) {
    if (auto value = read_port(*port, diagnostics)) check.port = *value;
  }
  for (const char* key : {"path", "host", "matcher"}) {
    const Field* http_field = map.get(key);
    if (http_field != nullptr && !http) {
      diagnostics.error(http_field->key_mark(), std::string("'") + key +
                                                    "' applies to http and https health checks; "
                                                    "this one is " +
                                                    to_string(check.protocol));
    }
  }
  if (http) {
    if (const Field* path = map.get("path")) {
      if (auto text = read_string(*path, diagnostics)) {
        if (text->starts_with('/')) {
          check.path = *text;
        } else {
          diagnostics.error(path->mark(), "path: '" + *text + "' must start with '/'");
        }
      }
    }
    read_into(map, "host", check.host, [&](const Field& f) { return read_string(f, diagnostics); });
    if (const Field* matcher = map.get("matcher")) {
      if (auto text = read_string(*matcher, diagnostics)) {
        std::string error;
        if (parse_status_matcher(*text, error)) {
          check.matcher = *text;
        } else {
          diagnostics.error(matcher->mark(), "matcher: " + error);
        }
      }
    }
  }
  for (const char* key : {"send", "expect"}) {
    const Field* udp_field = map.get(key);
    if (udp_field == nullptr) continue;
    if (check.protocol != HealthProtocol::udp) {
      diagnostics.error(udp_field->key_mark(), std::string("'") + key + "' applies to udp health checks; this one is " +
                                                   to_string(check.protocol));
      continue;
    }
    auto text = read_string(*udp_field, diagnostics);
    if (!text) continue;
    std::string error;
    auto bytes = unescape_bytes(*text, error);
    if (!bytes) {
      diagnostics.error(udp_field->mark(), std::string(key) + ": " + error);
      continue;
    }
    (std::string_view(key) == "send" ? check.send : check.expect) = std::move(*bytes);
  }
  if (check.protocol == HealthProtocol::udp && check.send.empty() && map.get("send") == nullptr) {
    const Field* protocol = map.get("protocol");
    diagnostics.error(protocol != nullptr ? protocol->mark() : map.mark(),
                      "udp health checks need send (the datagram that asks the target for a reply)");
  }
  const Field* interval = map.get("interval");
  const Field* timeout = map.get("timeout");
  bool interval_ok = true;
  if (interval != nullptr) {
    auto value = read_duration(*interval, diagnostics, 1s, 300s);
    interval_ok = value.has_value();
    if (value) check.interval = *value;
  }
  if (timeout != nullptr) {
    if (auto value = read_duration(*timeout, diagnostics, 1ms, 300s)) {
      check.timeout = *value;
      if (interval_ok && check.timeout >= check.interval) {
        diagnostics.error(timeout->mark(), "timeout: " + timeout->value.Scalar() + " must be shorter than interval (" +
                                               format_duration(check.interval) +
                                               (interval == nullptr ? ", the default)" : ")"));
      }
    }
  } else if (check.timeout >= check.interval) {
    // Short intervals get half the interval rather than an error about a key nobody wrote.
    check.timeout = check.interval / 2;
  }
  read_into(map, "healthy_threshold", check.healthy_threshold,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, 10); });
  read_into(map, "unhealthy_threshold", check.unhealthy_threshold,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, 10); });
  if (const Field* agent_port = map.get("agent_port")) {
    if (auto value = read_port(*agent_port, diagnostics)) check.agent_port = *value;
  } else if (check.protocol == HealthProtocol::agent) {
    const Field* protocol = map.get("protocol");
    diagnostics.error(protocol != nullptr ? protocol->mark() : map.mark(),
                      "agent health checks need agent_port (the port `fulcrum agent` "
                      "listens on)");
  }
  return check;
}

OutlierDetection read_outlier_detection(const Field& field, Diagnostics& diagnostics) {
  OutlierDetection outlier;
  MapFields map(field, schema::kOutlierDetection, diagnostics);
  read_into(map, "enabled", outlier.enabled, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "consecutive_failures", outlier.consecutive_failures,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, 1000); });
  read_into(map, "count_5xx", outlier.count_5xx, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "base_ejection_time", outlier.base_ejection_time,
            [&](const Field& f) { return read_duration(f, diagnostics, 1s, 3600s); });
  read_into(map, "max_ejection_percent", outlier.max_ejection_percent,
            [&](const Field& f) { return read_uint(f, diagnostics, 0, 100); });
  return outlier;
}

Stickiness read_stickiness(const Field& field, Diagnostics& diagnostics) {
  Stickiness stickiness;
  MapFields map(field, schema::kStickiness, diagnostics);
  if (!map.is_map()) return stickiness;
  const Field* type = map.get("type");
  if (type == nullptr) {
    diagnostics.error(map.mark(), "stickiness needs a type (lb_cookie | app_cookie | none)");
    return stickiness;
  }
  auto kind = read_enum(*type, diagnostics, names::kStickinessType, "stickiness type");
  if (!kind) return stickiness;
  stickiness.type = *kind;
  read_into(map, "duration", stickiness.duration,
            [&](const Field& f) { return read_duration(f, diagnostics, 1s, std::chrono::hours(24 * 7)); });
  const Field* cookie = map.get("cookie");
  if (cookie != nullptr) {
    if (auto name = read_string(*cookie, diagnostics)) {
      if (!is_cookie_name(*name)) {
        diagnostics.error(cookie->mark(), "cookie: '" + *name + "' is not a valid cookie name");
      } else if (stickiness.type == StickinessType::lb_cookie) {
        stickiness.lb_cookie_name = *name;  // the cookie Fulcrum sets
      } else {
        stickiness.cookie = *name;  // the application's cookie
      }
    }
  } else if (stickiness.type == StickinessType::app_cookie) {
    diagnostics.error(type->mark(),
                      "app_cookie stickiness needs 'cookie' (the application's cookie name, e.g. "
                      "JSESSIONID)");
  }
  if (const Field* secret = map.get("secret_file")) {
    if (stickiness.type != StickinessType::lb_cookie) {
      diagnostics.error(secret->key_mark(), "'secret_file' applies to lb_cookie stickiness only");
    } else if (auto text = read_string(*secret, diagnostics)) {
      stickiness.secret_file = *text;
    }
  }
  return stickiness;
}

struct SeenTarget {
  core::Endpoint address;
  YAML::Mark mark;
};

// A `dns:` or `srv:` entry: a name the discovery room follows (docs/design/discovery.md).
void read_discovered(MapFields& map, const Field& name_field, DiscoveryKind kind, TargetGroupConfig& group,
                     std::vector<YAML::Mark>& seen_names, Diagnostics& diagnostics) {
  DiscoveredTargets entry;
  entry.kind = kind;
  entry.position = group.targets.size() + group.discovered.size();
  auto text = read_string(name_field, diagnostics);
  if (!text) return;
  auto name = normalize_dns_name(*text);
  if (!name || name->empty()) {
    diagnostics.error(name_field.mark(), name_field.name + ": '" + *text +
                                             "' is not a DNS name (labels of 1..63 letters, digits, '-' or '_', "
                                             "253 characters at most); write the full name, the search list of "
                                             "resolv.conf is not applied");
    return;
  }
  entry.name = *name;
  const Field* port = map.get("port");
  if (kind == DiscoveryKind::address) {
    if (port == nullptr) {
      diagnostics.error(map.mark(), "a dns: target needs a port (every address of " + entry.name + " gets it)");
      return;
    }
    if (auto value = read_port(*port, diagnostics)) entry.port = *value;
    else return;
    read_into(map, "weight", entry.weight, [&](const Field& f) { return read_uint(f, diagnostics, 0, 1000); });
  } else {
    for (const char* key : {"port", "weight"}) {
      if (const Field* f = map.get(key)) {
        diagnostics.error(f->key_mark(), std::string("'") + key + "' does not apply to an srv: target: the SRV records give each target's port and weight");
      }
    }
  }
  read_into(map, "zone", entry.zone, [&](const Field& f) { return read_string(f, diagnostics); });
  for (size_t i = 0; i < group.discovered.size(); ++i) {
    if (group.discovered[i].kind == kind && group.discovered[i].name == entry.name &&
        group.discovered[i].port == entry.port) {
      diagnostics.error(name_field.mark(), "duplicate target " + entry.origin() + " in target group '" + group.name +
                                               "' (first at line " + std::to_string(seen_names[i].line + 1) + ")");
      return;
    }
  }
  seen_names.push_back(name_field.mark());
  group.discovered.push_back(std::move(entry));
}

// One entry of `targets`: an address (a name there is resolved once, when the file is read),
// or a `dns:` / `srv:` name that discovery follows.
void read_target(const Field& item, std::vector<SeenTarget>& seen, std::vector<YAML::Mark>& seen_names,
                 TargetGroupConfig& group, Diagnostics& diagnostics) {
  TargetConfig target;
  // "- 10.0.0.1:80" is shorthand for "- { address: 10.0.0.1:80 }", like HAProxy's server lines.
  Field shorthand{"address", YAML::Node(), item.value};
  const bool is_shorthand = item.value.IsScalar();
  MapFields map(is_shorthand ? Field{item.name, YAML::Node(), YAML::Node()} : item, schema::kTarget, diagnostics);
  if (!map.is_map()) return;
  const Field* address = is_shorthand ? &shorthand : map.get("address");
  const Field* dns = is_shorthand ? nullptr : map.get("dns");
  const Field* srv = is_shorthand ? nullptr : map.get("srv");
  if ((address != nullptr) + (dns != nullptr) + (srv != nullptr) > 1) {
    diagnostics.error(map.mark(), "a target has one of 'address', 'dns' or 'srv', not several");
    return;
  }
  if (dns != nullptr || srv != nullptr) {
    read_discovered(map, dns != nullptr ? *dns : *srv, dns != nullptr ? DiscoveryKind::address : DiscoveryKind::srv,
                    group, seen_names, diagnostics);
    return;
  }
  read_into(map, "weight", target.weight, [&](const Field& f) { return read_uint(f, diagnostics, 0, 1000); });
  read_into(map, "zone", target.zone, [&](const Field& f) { return read_string(f, diagnostics); });
  if (address == nullptr) {
    diagnostics.error(map.mark(),
                      "target needs an address (HOST:PORT), or a name to follow: dns: NAME with a port, or srv: NAME");
    return;
  }
  if (const Field* port = map.get("port")) {
    diagnostics.error(port->key_mark(), "'port' applies to dns: targets; an address carries its own (HOST:PORT)");
  }
  auto endpoint = read_endpoint(*address, diagnostics, &target.address_text);
  if (!endpoint) return;
  target.address = *endpoint;
  for (const auto& earlier : seen) {
    if (earlier.address == target.address) {
      diagnostics.error(address->mark(), "duplicate target address '" + target.address_text + "' in target group '" +
                                             group.name + "' (first at line " + std::to_string(earlier.mark.line + 1) +
                                             ")");
      return;
    }
  }
  seen.push_back(SeenTarget{target.address, address->mark()});
  group.targets.push_back(std::move(target));
}

}  // namespace

TargetGroupConfig read_target_group(const Field& item, Diagnostics& diagnostics) {
  TargetGroupConfig group;
  MapFields map(item, schema::kTargetGroup, diagnostics);
  if (!map.is_map()) return group;
  if (const Field* name = map.get("name")) {
    if (auto text = read_name(*name, diagnostics)) group.name = *text;
  } else {
    diagnostics.error(map.mark(), "target group needs a name");
  }
  read_into(map, "algorithm", group.algorithm,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kAlgorithm); });
  read_into(map, "hash_key", group.hash_key, [&](const Field& f) { return read_hash_key(f, diagnostics); });
  read_into(map, "protocol", group.protocol,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kTargetProtocol, "target group protocol"); });
  if (const Field* health = map.get("health_check")) group.health_check = read_health_check(*health, diagnostics);
  if (const Field* outlier = map.get("outlier_detection")) {
    group.outlier_detection = read_outlier_detection(*outlier, diagnostics);
  }
  if (const Field* stickiness = map.get("stickiness")) group.stickiness = read_stickiness(*stickiness, diagnostics);
  read_into(map, "slow_start", group.slow_start,
            [&](const Field& f) { return read_duration(f, diagnostics, 0s, 3600s); });
  read_into(map, "deregistration_delay", group.deregistration_delay,
            [&](const Field& f) { return read_duration(f, diagnostics, 0s, 3600s); });
  read_into(map, "proxy_protocol", group.proxy_protocol,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kProxyProtocol); });
  read_into(map, "connect_timeout", group.connect_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 1ms, 300s); });
  read_into(map, "max_connect_attempts", group.max_connect_attempts,
            [&](const Field& f) { return read_uint(f, diagnostics, 1, 10); });
  read_into(map, "retry_budget", group.retry_budget_percent,
            [&](const Field& f) { return read_uint(f, diagnostics, 0, 100); });
  read_into(map, "retry_on_timeout", group.retry_on_timeout, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "retry_body_limit", group.retry_body_limit,
            [&](const Field& f) { return read_byte_size(f, diagnostics, 0, uint64_t{64} << 20); });
  read_into(map, "fail_open", group.fail_open, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "keepalive_connections", group.keepalive_connections, [&](const Field& f) {
    return read_uint_or_auto(f, diagnostics, 0, TargetGroupConfig::kMaxKeepaliveConnections,
                             TargetGroupConfig::kKeepaliveAuto);
  });
  read_into(map, "keepalive_timeout", group.keepalive_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 100ms, 3600s); });
  const bool tls = group.protocol == TargetProtocol::https || group.protocol == TargetProtocol::tls;
  for (const char* key : {"verify", "ca_file", "server_name"}) {
    const Field* tls_field = map.get(key);
    if (tls_field != nullptr && !tls) {
      diagnostics.error(tls_field->key_mark(), std::string("'") + key +
                                                   "' applies to groups with protocol https or "
                                                   "tls; this group's protocol is " +
                                                   to_string(group.protocol));
    }
  }
  if (tls) {
    read_into(map, "verify", group.verify, [&](const Field& f) { return read_bool(f, diagnostics); });
    read_into(map, "ca_file", group.ca_file, [&](const Field& f) { return read_string(f, diagnostics); });
    read_into(map, "server_name", group.server_name, [&](const Field& f) { return read_string(f, diagnostics); });
  }
  if (const Field* targets = map.get("targets")) {
    std::vector<SeenTarget> seen;
    std::vector<YAML::Mark> seen_names;
    if (auto items = read_list(*targets, diagnostics)) {
      for (const auto& target_item : *items) read_target(target_item, seen, seen_names, group, diagnostics);
    }
  }
  return group;
}

}  // namespace fulcrum::config
