#include "config/target_group_reader.hpp"

#include "config/duration.hpp"
#include "config/escaped_bytes.hpp"
#include "config/status_matcher.hpp"
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

std::optional<TargetConfig> read_target(const Field& item, std::vector<SeenTarget>& seen, const std::string& group_name,
                                        Diagnostics& diagnostics) {
  TargetConfig target;
  // "- 10.0.0.1:80" is shorthand for "- { address: 10.0.0.1:80 }", like HAProxy's server lines.
  Field shorthand{"address", YAML::Node(), item.value};
  const bool is_shorthand = item.value.IsScalar();
  MapFields map(is_shorthand ? Field{item.name, YAML::Node(), YAML::Node()} : item, schema::kTarget, diagnostics);
  if (!map.is_map()) return std::nullopt;
  const Field* address = is_shorthand ? &shorthand : map.get("address");
  read_into(map, "weight", target.weight, [&](const Field& f) { return read_uint(f, diagnostics, 0, 1000); });
  read_into(map, "zone", target.zone, [&](const Field& f) { return read_string(f, diagnostics); });
  if (address == nullptr) {
    diagnostics.error(map.mark(), "target needs an address (HOST:PORT)");
    return std::nullopt;
  }
  auto endpoint = read_endpoint(*address, diagnostics, &target.address_text);
  if (!endpoint) return std::nullopt;
  target.address = *endpoint;
  for (const auto& earlier : seen) {
    if (earlier.address == target.address) {
      diagnostics.error(address->mark(), "duplicate target address '" + target.address_text + "' in target group '" +
                                             group_name + "' (first at line " + std::to_string(earlier.mark.line + 1) +
                                             ")");
      return std::nullopt;
    }
  }
  seen.push_back(SeenTarget{target.address, address->mark()});
  return target;
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
    if (auto items = read_list(*targets, diagnostics)) {
      for (const auto& target_item : *items) {
        if (auto target = read_target(target_item, seen, group.name, diagnostics)) group.targets.push_back(*target);
      }
    }
  }
  return group;
}

}  // namespace fulcrum::config
