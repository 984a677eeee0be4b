#include "admin/config_json.hpp"

#include "config/duration.hpp"

namespace fulcrum::admin {
namespace {

using nlohmann::json;

const char* to_text(config::HashKeyKind kind) {
  switch (kind) {
    case config::HashKeyKind::source_ip: return "source_ip";
    case config::HashKeyKind::header: return "header";
    case config::HashKeyKind::cookie: return "cookie";
    case config::HashKeyKind::uri: return "uri";
  }
  return "?";
}

const char* to_text(config::ProxyProtocolVersion version) {
  switch (version) {
    case config::ProxyProtocolVersion::none: return "none";
    case config::ProxyProtocolVersion::v1: return "v1";
    case config::ProxyProtocolVersion::v2: return "v2";
  }
  return "?";
}

const char* to_text(config::StickinessType type) {
  switch (type) {
    case config::StickinessType::none: return "none";
    case config::StickinessType::lb_cookie: return "lb_cookie";
    case config::StickinessType::app_cookie: return "app_cookie";
  }
  return "?";
}

const char* to_text(config::TlsPolicy policy) {
  switch (policy) {
    case config::TlsPolicy::modern: return "modern";
    case config::TlsPolicy::intermediate: return "intermediate";
    case config::TlsPolicy::legacy: return "legacy";
  }
  return "?";
}

const char* to_text(config::DesyncMode mode) {
  switch (mode) {
    case config::DesyncMode::monitor: return "monitor";
    case config::DesyncMode::defensive: return "defensive";
    case config::DesyncMode::strictest: return "strictest";
  }
  return "?";
}

// As people write them in the file ("5s", "5m", "1d", "1m30s", "250ms"), and as the file reads
// them back: the configuration shown can be pasted into one.
std::string duration(config::Duration d) { return config::format_duration(d); }

std::string redacted_if_set(const std::string& value) { return value.empty() ? std::string() : kRedacted; }

json match_to_json(const config::Match& m) {
  json out = json::object();
  if (!m.host.empty()) out["host"] = m.host;
  if (!m.path.empty()) out["path"] = m.path;
  if (!m.method.empty()) out["method"] = m.method;
  if (!m.header.empty()) out["header"] = m.header;
  if (!m.query.empty()) out["query"] = m.query;
  if (!m.source.empty()) out["source"] = m.source;
  if (!m.cookie.empty()) out["cookie"] = m.cookie;
  if (!m.sni.empty()) out["sni"] = m.sni;
  return out;
}

json security_to_json(const config::Security& s) {
  json waf = json::array();
  for (const auto& rule : s.waf) {
    waf.push_back({{"id", rule.id},
                   {"pattern", rule.pattern},
                   {"targets", rule.targets},
                   {"action", rule.action == config::WafRule::ActionKind::block ? "block" : "log"},
                   {"message", rule.message}});
  }
  return {{"allow", s.allow},
          {"deny", s.deny},
          {"rate_limit", {{"requests_per_second", s.rate_limit.requests_per_second}, {"burst", s.rate_limit.burst}}},
          {"max_connections_per_client", s.max_connections_per_client},
          {"connections_per_second", s.connections_per_second},
          {"min_body_rate", s.min_body_rate},
          {"max_connections_awaiting_headers", s.max_connections_awaiting_headers},
          {"waf_default_rules", s.waf_default_rules},
          {"waf", waf},
          {"waf_body_bytes", s.waf_body_bytes},
          {"ipv6_client_prefix", s.ipv6_client_prefix}};
}

json listener_to_json(const config::ListenerConfig& l) {
  json rules = json::array();
  for (const auto& rule : l.rules) {
    rules.push_back({{"name", rule.name}, {"match", match_to_json(rule.match)}, {"action", action_to_json(rule.action)}});
  }
  json certificates = json::array();
  for (const auto& c : l.tls.certificates) certificates.push_back({{"cert", c.cert}, {"key", redacted_if_set(c.key)}});
  json out = {{"name", l.name},
              {"listen", l.listen.to_string()},
              {"protocol", config::to_string(l.protocol)},
              {"scheme", config::to_string(l.scheme)},
              {"rules", rules},
              {"default", action_to_json(l.default_action)},
              {"security", security_to_json(l.security)},
              {"accept_proxy_protocol", l.accept_proxy_protocol},
              {"idle_timeout", duration(l.idle_timeout)}};
  if (l.protocol == config::ListenerProtocol::tls || l.protocol == config::ListenerProtocol::https) {
    out["tls"] = {{"certificates", certificates}, {"policy", to_text(l.tls.policy)}, {"alpn", l.tls.alpn}};
  }
  if (config::is_http(l.protocol)) {
    out["client_header_timeout"] = duration(l.client_header_timeout);
    out["response_timeout"] = duration(l.response_timeout);
    out["desync_mode"] = to_text(l.desync_mode);
    out["max_request_line"] = l.max_request_line;
    out["max_header_bytes"] = l.max_header_bytes;
    out["max_headers"] = l.max_headers;
    out["max_body_bytes"] = l.max_body_bytes;
    out["add_forwarded"] = l.add_forwarded;
    out["add_via"] = l.add_via;
    out["http2"] = l.http2;
    out["max_concurrent_streams"] = l.max_concurrent_streams;
    out["send_timeout"] = duration(l.send_timeout);
  }
  if (l.protocol == config::ListenerProtocol::udp) out["max_flows"] = l.max_flows;
  return out;
}

json dns_to_json(const config::DnsConfig& dns) {
  if (!dns.enabled) return nullptr;
  json sites = json::array();
  for (const auto& s : dns.sites) sites.push_back({{"name", s.name}, {"group", s.group}});
  json regions = json::array();
  for (const auto& r : dns.regions) {
    regions.push_back({{"name", r.name}, {"networks", r.networks}, {"sites_by_distance", r.sites_by_distance}});
  }
  json names = json::array();
  for (const auto& n : dns.names) {
    json choices = json::array();
    for (const auto& c : n.sites) choices.push_back({{"site", c.site}, {"weight", c.weight}});
    names.push_back({{"name", n.name},
                     {"policy", config::to_string(n.policy)},
                     {"sites", choices},
                     {"ttl", duration(n.ttl)},
                     {"max_answers", n.max_answers}});
  }
  return {{"listen", dns.listen.to_string()}, {"zones", dns.zones},   {"ttl", duration(dns.ttl)},
          {"max_answers", dns.max_answers},   {"sites", sites},       {"regions", regions},
          {"names", names}};
}

}  // namespace

json action_to_json(const config::Action& action) {
  switch (action.kind) {
    case config::Action::Kind::forward: {
      json groups = json::array();
      for (const auto& g : action.forward) groups.push_back({{"group", g.group}, {"weight", g.weight}});
      return {{"forward", groups}};
    }
    case config::Action::Kind::redirect: {
      const auto& r = action.redirect;
      return {{"redirect",
               {{"status", r.status}, {"scheme", r.scheme}, {"host", r.host}, {"port", r.port}, {"path", r.path},
                {"query", r.query}}}};
    }
    case config::Action::Kind::fixed_response: {
      const auto& f = action.fixed_response;
      return {{"fixed_response", {{"status", f.status}, {"content_type", f.content_type}, {"body", f.body}}}};
    }
  }
  return nullptr;
}

json group_settings_to_json(const config::TargetGroupConfig& g) {
  json hash_key = to_text(g.hash_key.kind);
  if (!g.hash_key.name.empty()) hash_key = std::string(to_text(g.hash_key.kind)) + ":" + g.hash_key.name;
  json health = nullptr;
  if (g.health_check.enabled) {
    const auto& h = g.health_check;
    health = {{"protocol", config::to_string(h.protocol)},
              {"path", h.path},
              {"host", h.host},
              {"matcher", h.matcher},
              {"interval", duration(h.interval)},
              {"timeout", duration(h.timeout)},
              {"healthy_threshold", h.healthy_threshold},
              {"unhealthy_threshold", h.unhealthy_threshold}};
    if (h.port) health["port"] = *h.port;
    if (h.agent_port) health["agent_port"] = *h.agent_port;
  }
  const auto& o = g.outlier_detection;
  const auto& s = g.stickiness;
  json out = {{"name", g.name},
              {"algorithm", config::to_string(g.algorithm)},
              {"hash_key", hash_key},
              {"protocol", config::to_string(g.protocol)},
              {"health_check", health},
              {"outlier_detection",
               {{"enabled", o.enabled},
                {"consecutive_failures", o.consecutive_failures},
                {"count_5xx", o.count_5xx},
                {"base_ejection_time", duration(o.base_ejection_time)},
                {"max_ejection_percent", o.max_ejection_percent}}},
              {"stickiness",
               {{"type", to_text(s.type)},
                {"duration", duration(s.duration)},
                {"cookie", s.cookie},
                {"lb_cookie_name", s.lb_cookie_name},
                {"secret_file", redacted_if_set(s.secret_file)}}},
              {"slow_start", duration(g.slow_start)},
              {"deregistration_delay", duration(g.deregistration_delay)},
              {"proxy_protocol", to_text(g.proxy_protocol)},
              {"connect_timeout", duration(g.connect_timeout)},
              {"max_connect_attempts", g.max_connect_attempts},
              {"retry_budget", g.retry_budget_percent},
              {"retry_on_timeout", g.retry_on_timeout},
              {"retry_body_limit", g.retry_body_limit},
              {"fail_open", g.fail_open},
              {"keepalive_connections", g.keepalive_connections == config::TargetGroupConfig::kKeepaliveAuto
                                            ? json("auto")
                                            : json(g.keepalive_connections)},
              {"keepalive_timeout", duration(g.keepalive_timeout)}};
  if (g.protocol == config::TargetProtocol::https || g.protocol == config::TargetProtocol::tls) {
    out["verify"] = g.verify;
    out["ca_file"] = g.ca_file;
    out["server_name"] = g.server_name;
  }
  return out;
}

json resolver_to_json(const config::ResolverConfig& resolver) {
  json nameservers = json::array();
  for (const auto& server : resolver.nameservers) nameservers.push_back(server.to_string());
  return {{"nameservers", nameservers.empty() ? json("/etc/resolv.conf") : nameservers},
          {"timeout", duration(resolver.timeout)},
          {"min_ttl", duration(resolver.min_ttl)},
          {"max_ttl", duration(resolver.max_ttl)},
          {"hold_valid", duration(resolver.hold_valid)},
          {"hold_nx", duration(resolver.hold_nx)},
          {"hold_obsolete", duration(resolver.hold_obsolete)},
          {"prefer", config::to_string(resolver.prefer)}};
}

json config_to_json(const config::Config& config) {
  json listeners = json::array();
  for (const auto& l : config.listeners) listeners.push_back(listener_to_json(l));
  json groups = json::array();
  for (const auto& g : config.target_groups) {
    json group = group_settings_to_json(g);
    json targets = json::array();
    for (const auto& t : g.targets) {
      json target = {{"address", t.address.to_string()}, {"weight", t.weight}};
      if (!t.zone.empty()) target["zone"] = t.zone;
      if (!t.origin.empty()) target["origin"] = t.origin;
      targets.push_back(target);
    }
    group["targets"] = targets;
    json discovered = json::array();
    for (const auto& d : g.discovered) {
      json entry = {{d.kind == config::DiscoveryKind::srv ? "srv" : "dns", d.name}};
      if (d.kind == config::DiscoveryKind::address) entry["port"] = d.port;
      if (d.weight) entry["weight"] = *d.weight;
      if (!d.zone.empty()) entry["zone"] = d.zone;
      discovered.push_back(entry);
    }
    group["discovered"] = discovered;
    groups.push_back(group);
  }
  return {{"source", config.source_path},
          {"workers", config.workers},
          {"shutdown_timeout", duration(config.shutdown_timeout)},
          {"user", config.user.empty() ? json(nullptr) : json(config.user)},
          {"group", config.group.empty() ? json(nullptr) : json(config.group)},
          {"admin",
           {{"enabled", config.admin.enabled},
            {"listen", config.admin.listen_text},
            {"token_file", redacted_if_set(config.admin.token_file)}}},
          {"listeners", listeners},
          {"target_groups", groups},
          {"dns", dns_to_json(config.dns)},
          {"resolver", resolver_to_json(config.resolver)}};
}

}  // namespace fulcrum::admin
