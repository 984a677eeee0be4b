#include "config/security_reader.hpp"

#include <re2/re2.h>

#include <cmath>

#include "config/cidr.hpp"
#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

std::vector<std::string> read_cidrs(const Field& field, Diagnostics& diagnostics) {
  std::vector<std::string> cidrs;
  auto items = read_string_list(field, diagnostics);
  if (!items) return cidrs;
  for (const auto& item : *items) {
    std::string error;
    if (parse_cidr(item.text, error)) {
      cidrs.push_back(item.text);
    } else {
      diagnostics.error(item.mark, field.name + ": " + error);
    }
  }
  return cidrs;
}

RateLimit read_rate_limit(const Field& field, Diagnostics& diagnostics) {
  RateLimit limit;
  MapFields map(field, schema::kRateLimit, diagnostics);
  if (!map.is_map()) return limit;
  const Field* rate = map.get("requests_per_second");
  if (rate == nullptr) {
    diagnostics.error(map.mark(), "rate_limit needs requests_per_second");
    return limit;
  }
  read_into(map, "requests_per_second", limit.requests_per_second,
            [&](const Field& f) { return read_number(f, diagnostics, 0.001, 1e9); });
  // A bucket smaller than one second of traffic would refuse steady clients at exactly the rate.
  limit.burst = static_cast<uint32_t>(std::max(1.0, std::ceil(limit.requests_per_second)));
  read_into(map, "burst", limit.burst, [&](const Field& f) { return read_uint(f, diagnostics, 1, 1000000000); });
  return limit;
}

// WAF rules inspect these parts of a request.
bool is_waf_target(std::string_view text) {
  if (text == "path" || text == "query" || text == "body") return true;
  return text.starts_with("header:") && text.size() > 7;
}

WafRule read_waf_rule(const Field& item, std::vector<std::pair<std::string, YAML::Mark>>& ids,
                      Diagnostics& diagnostics) {
  WafRule rule;
  MapFields map(item, schema::kWafRule, diagnostics);
  if (!map.is_map()) return rule;
  if (const Field* id = map.get("id")) {
    if (auto text = read_name(*id, diagnostics)) {
      rule.id = *text;
      for (const auto& [earlier, mark] : ids) {
        if (earlier == rule.id) {
          diagnostics.error(id->mark(), "duplicate waf rule id '" + rule.id + "' (first at line " +
                                            std::to_string(mark.line + 1) + ")");
        }
      }
      ids.emplace_back(rule.id, id->mark());
    }
  } else {
    diagnostics.error(map.mark(), "waf rule needs an 'id' (it is logged when the rule fires)");
  }
  if (const Field* pattern = map.get("pattern")) {
    if (auto text = read_string(*pattern, diagnostics)) {
      RE2::Options options;
      options.set_log_errors(false);  // the error goes into our message, not to stderr
      RE2 compiled(*text, options);
      if (!compiled.ok()) {
        diagnostics.error(pattern->mark(), "pattern: invalid regular expression '" + *text + "': " + compiled.error());
      }
      rule.pattern = *text;
    }
  } else {
    diagnostics.error(map.mark(), "waf rule needs a 'pattern' (an RE2 regular expression)");
  }
  rule.targets = {"path", "query"};
  if (const Field* targets = map.get("targets")) {
    if (auto items = read_string_list(*targets, diagnostics)) {
      rule.targets.clear();
      for (const auto& target : *items) {
        if (is_waf_target(target.text)) {
          rule.targets.push_back(target.text);
        } else {
          diagnostics.error(target.mark, "targets: unknown target '" + target.text +
                                             "' (expected path | query | body | header:NAME)");
        }
      }
    }
  }
  read_into(map, "action", rule.action,
            [&](const Field& f) { return read_enum(f, diagnostics, names::kWafAction, "waf action"); });
  read_into(map, "message", rule.message, [&](const Field& f) { return read_string(f, diagnostics); });
  return rule;
}

}  // namespace

Security read_security(const Field& field, const ListenerContext& listener, Diagnostics& diagnostics) {
  Security security;
  MapFields map(field, schema::kSecurity, diagnostics);
  for (const Field& entry : map.fields()) {
    const std::string& key = entry.name;
    const bool http_only = key == "min_body_rate" || key == "max_connections_awaiting_headers" ||
                           key == "waf_default_rules" || key == "waf" || key == "waf_body_bytes";
    if (http_only && !is_http(listener.protocol)) {
      diagnostics.error(entry.key_mark(), "'" + key + "' applies to http and https listeners only; listener '" +
                                              listener.name + "' is " + to_string(listener.protocol));
      continue;
    }
    if (key == "allow") {
      security.allow = read_cidrs(entry, diagnostics);
    } else if (key == "deny") {
      security.deny = read_cidrs(entry, diagnostics);
    } else if (key == "rate_limit") {
      security.rate_limit = read_rate_limit(entry, diagnostics);
    } else if (key == "max_connections_per_client") {
      if (auto v = read_uint(entry, diagnostics, 0, 1000000))
        security.max_connections_per_client = static_cast<uint32_t>(*v);
    } else if (key == "connections_per_second") {
      if (auto v = read_number(entry, diagnostics, 0, 1e9)) security.connections_per_second = *v;
    } else if (key == "min_body_rate") {
      if (auto v = read_byte_size(entry, diagnostics, 0, 1ull << 30))
        security.min_body_rate = static_cast<uint32_t>(*v);
    } else if (key == "max_connections_awaiting_headers") {
      if (auto v = read_uint(entry, diagnostics, 0, 10000000)) {
        security.max_connections_awaiting_headers = static_cast<uint32_t>(*v);
      }
    } else if (key == "waf_default_rules") {
      if (auto v = read_bool(entry, diagnostics)) security.waf_default_rules = *v;
    } else if (key == "waf_body_bytes") {
      if (auto v = read_byte_size(entry, diagnostics, 0, 1ull << 20))
        security.waf_body_bytes = static_cast<uint32_t>(*v);
    } else if (key == "ipv6_client_prefix") {
      if (auto v = read_uint(entry, diagnostics, 1, 128)) security.ipv6_client_prefix = static_cast<uint32_t>(*v);
    } else if (key == "waf") {
      std::vector<std::pair<std::string, YAML::Mark>> ids;
      if (auto items = read_list(entry, diagnostics)) {
        for (const auto& item : *items) security.waf.push_back(read_waf_rule(item, ids, diagnostics));
      }
    }
  }
  return security;
}

}  // namespace fulcrum::config
