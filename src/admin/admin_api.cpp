#include "admin/admin_api.hpp"

#include <arpa/inet.h>

#include <cmath>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "admin/config_json.hpp"
#include "admin/dashboard_page.hpp"
#include "admin/prometheus_metrics.hpp"

namespace fulcrum::admin {
namespace {

using nlohmann::json;

constexpr std::string_view kGroupsPrefix = "/api/v1/target-groups/";

AdminResponse method_not_allowed(std::string_view allow) {
  auto response = AdminResponse::error(405, "this resource answers " + std::string(allow));
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

json status_to_json(const upstream::TargetStatus& status) {
  return {{"state", upstream::to_string(status.state)},
          {"reason_code", status.reason_code},
          {"reason", status.reason},
          {"since", iso8601_utc(status.since_unix_ms)},
          {"since_unix_ms", status.since_unix_ms}};
}

// What each health source says, beside the status that shows the one deciding.
void add_sources(json& out, const upstream::HealthSources& sources) {
  const auto& a = sources.active;
  out["active"] = {{"state", upstream::to_string(a.state)},
                   {"reason_code", a.reason_code},
                   {"reason", a.reason},
                   {"since", iso8601_utc(a.since_unix_ms)},
                   {"since_unix_ms", a.since_unix_ms}};
  const auto& p = sources.passive;
  json passive = {{"enabled", p.enabled},
                  {"ejected", p.ejected},
                  {"reason_code", p.reason_code},
                  {"reason", p.reason},
                  {"since", iso8601_utc(p.since_unix_ms)},
                  {"since_unix_ms", p.since_unix_ms},
                  {"ejection_multiplier", p.ejections}};
  passive["until"] = p.ejected ? json(iso8601_utc(p.until_unix_ms)) : json(nullptr);
  passive["until_unix_ms"] = p.ejected ? json(p.until_unix_ms) : json(nullptr);
  out["passive"] = std::move(passive);
}

json optional_ms(const std::optional<double>& value) {
  return value ? json(std::round(*value * 1000.0) / 1000.0) : json(nullptr);
}

// requests_per_second (last second) and latency_ms percentiles (last 10 s), or nulls before
// the sampler has seen the object twice.
void add_rates(json& out, const std::optional<TrafficRates>& rates) {
  out["requests_per_second"] = rates ? json(std::round(rates->requests_per_second * 10.0) / 10.0) : json(nullptr);
  json latency = {{"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"window_requests", 0}};
  if (rates) {
    latency = {{"p50", optional_ms(rates->p50_ms)},
               {"p90", optional_ms(rates->p90_ms)},
               {"p99", optional_ms(rates->p99_ms)},
               {"window_requests", rates->window_requests}};
  }
  out["latency_ms"] = latency;
}

json totals_to_json(const upstream::StatsTotals& totals) {
  json classes = json::object();
  const char* names[upstream::kStatusClasses] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t c = 0; c < upstream::kStatusClasses; ++c) classes[names[c]] = totals.responses[c];
  return {{"requests", classes},
          {"bytes_in", totals.bytes_in},
          {"bytes_out", totals.bytes_out},
          {"connections", totals.connections_opened},
          {"connect_errors", totals.connect_errors},
          {"retries", totals.retries}};
}

json target_to_json(const upstream::TargetRegistry& registry, const TrafficSampler* sampler, const std::string& group,
                    const upstream::TargetInfo& target) {
  json out = status_to_json(target.status);
  out["address"] = target.address_text;
  out["weight"] = target.weight;
  if (!target.zone.empty()) out["zone"] = target.zone;
  // The registry's status may be newer than the snapshot's when a publish is pending.
  if (const auto* now = registry.status(group, target.address_text)) {
    json fresh = status_to_json(*now);
    for (auto& [key, value] : fresh.items()) out[key] = value;
  }
  const auto* sources = registry.sources(group, target.address_text);
  if (sources != nullptr && out["state"] != "unused") add_sources(out, *sources);  // unused: not checked
  out["active_connections"] = target.counters->active.load(std::memory_order_relaxed);
  const uint32_t ewma = target.counters->response_ewma_us.load(std::memory_order_relaxed);
  out["response_time_ewma_ms"] = ewma == 0 ? json(nullptr) : json(static_cast<double>(ewma) / 1000.0);
  out["traffic_failures_total"] = target.outcomes->failures_total.load(std::memory_order_relaxed);
  out["ejections"] = registry.ejections(group, target.address_text);
  out["source"] = target.origin.empty() ? "file" : target.origin;
  if (target.tier != 0) out["tier"] = target.tier;
  add_rates(out, sampler ? sampler->target(group, target.address_text) : std::nullopt);
  if (target.stats) out["totals"] = totals_to_json(target.stats->sum());
  json history = json::array();
  for (const auto& past : registry.history(group, target.address_text)) history.push_back(status_to_json(past));
  out["history"] = history;
  return out;
}

json state_counts(const upstream::GroupSnapshot& group) {
  std::map<std::string, uint32_t> counts{{"initial", 0}, {"healthy", 0}, {"unhealthy", 0}, {"draining", 0},
                                         {"unused", 0}};
  for (const auto& t : group.targets) ++counts[upstream::to_string(t.status.state)];
  for (const auto& t : group.draining) ++counts[upstream::to_string(t.status.state)];
  return counts;
}

}  // namespace

std::string iso8601_utc(int64_t unix_ms) {
  if (unix_ms <= 0) return {};
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[40];
  const size_t n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(out + n, sizeof out - n, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return out;
}

AdminApi::AdminApi(const upstream::TargetRegistry& registry, const TrafficSampler* sampler, Hooks hooks)
    : registry_(registry), sampler_(sampler), hooks_(std::move(hooks)) {}

AdminResponse AdminApi::handle(const AdminRequest& request) {
  const std::string& path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/") {
    if (!get) return method_not_allowed("GET");
    AdminResponse page;
    page.content_type = "text/html; charset=utf-8";
    page.body = std::string(dashboard_html());
    page.headers.emplace_back("Content-Security-Policy", kDashboardPolicy);
    return page;
  }
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET");
    AdminResponse response;
    response.content_type = kPrometheusContentType;
    response.body = render_metrics(registry_);
    if (hooks_.more_metrics) response.body += hooks_.more_metrics();
    return response;
  }
  if (path == "/api/v1/listeners") return get ? listeners() : method_not_allowed("GET");
  if (path == "/api/v1/target-groups") return get ? groups() : method_not_allowed("GET");
  if (path == "/api/v1/config") return get ? config() : method_not_allowed("GET");
  if (path == "/api/v1/status") return get ? status() : method_not_allowed("GET");
  if (path == "/api/v1/reload") return request.method == "POST" ? reload() : method_not_allowed("POST");
  if (path.starts_with(kGroupsPrefix)) {
    std::string_view rest = std::string_view(path).substr(kGroupsPrefix.size());
    const size_t slash = rest.find('/');
    if (!rest.empty() && slash == std::string_view::npos) {
      return get ? group(std::string(rest)) : method_not_allowed("GET");
    }
    constexpr std::string_view kTargets = "/targets";
    if (slash != std::string_view::npos && slash > 0 && rest.substr(slash).starts_with(kTargets)) {
      const std::string name(rest.substr(0, slash));
      std::string_view after = rest.substr(slash + kTargets.size());
      if (after.empty()) return targets(request, name, {});
      if (after.size() > 1 && after[0] == '/' && after.find('/', 1) == std::string_view::npos) {
        return targets(request, name, std::string(after.substr(1)));
      }
    }
  }
  return AdminResponse::error(404, "no such resource: " + path + " (see docs/admin-api.md)");
}

namespace {

// An IP literal with a port ("10.0.0.1:80", "[::1]:80"): the API never resolves names, which
// would block the control thread.
std::optional<core::Endpoint> parse_target_address(const std::string& text, std::string& error) {
  std::string host = text.substr(0, text.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned char scratch[16];
  if (text.find(':') == std::string::npos ||
      (inet_pton(AF_INET, host.c_str(), scratch) != 1 && inet_pton(AF_INET6, host.c_str(), scratch) != 1)) {
    error = "'" + text + "' is not IP:PORT (names are not resolved here; IPv6 as [::1]:80)";
    return std::nullopt;
  }
  core::EndpointError parse_error;
  auto endpoint = core::parse_endpoint(text, parse_error);
  if (!endpoint) error = "'" + text + "': " + parse_error.message;
  return endpoint;
}

// Reads a JSON object body, refusing keys other than `allowed`.
std::optional<json> object_body(const AdminRequest& request, std::initializer_list<const char*> allowed,
                                std::string& error) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (const char* name : allowed) known = known || key == name;
    if (!known) {
      std::string names;
      for (const char* name : allowed) names += std::string(names.empty() ? "" : ", ") + name;
      error = "unknown field '" + key + "'; expected: " + names;
      return std::nullopt;
    }
  }
  return body;
}

bool read_weight(const json& body, uint32_t& weight, std::string& error) {
  const auto& value = body["weight"];
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1000) {
    error = "weight must be a whole number from 0 to 1000";
    return false;
  }
  weight = static_cast<uint32_t>(value.get<int64_t>());
  return true;
}

}  // namespace

AdminResponse AdminApi::targets(const AdminRequest& request, const std::string& group, const std::string& address) {
  if (!hooks_.change_target) return AdminResponse::error(503, "target changes are not available");
  TargetChange change;
  change.group = group;
  std::string error;
  std::vector<TargetChange> changes;
  if (address.empty()) {
    if (request.method != "POST") return method_not_allowed("POST");
    auto body = object_body(request, {"address", "weight", "zone"}, error);
    if (!body) return AdminResponse::error(400, error);
    if (!body->contains("address") || !(*body)["address"].is_string()) {
      return AdminResponse::error(400, "address (\"IP:PORT\") is required");
    }
    auto endpoint = parse_target_address((*body)["address"].get<std::string>(), error);
    if (!endpoint) return AdminResponse::error(400, error);
    change.kind = TargetChange::Kind::register_target;
    change.endpoint = *endpoint;
    change.address = endpoint->to_string();
    if (body->contains("weight") && !read_weight(*body, change.weight, error)) return AdminResponse::error(400, error);
    if (body->contains("zone")) {
      if (!(*body)["zone"].is_string()) return AdminResponse::error(400, "zone must be a string");
      change.zone = (*body)["zone"].get<std::string>();
    }
    changes.push_back(change);
  } else {
    auto endpoint = parse_target_address(address, error);
    if (!endpoint) return AdminResponse::error(400, error);
    change.endpoint = *endpoint;
    change.address = endpoint->to_string();
    if (request.method == "DELETE") {
      change.kind = TargetChange::Kind::deregister;
      changes.push_back(change);
    } else if (request.method == "PATCH") {
      auto body = object_body(request, {"weight", "drain"}, error);
      if (!body) return AdminResponse::error(400, error);
      if (body->empty()) return AdminResponse::error(400, "nothing to change: send weight and/or drain");
      if (body->contains("weight")) {
        change.kind = TargetChange::Kind::weight;
        if (!read_weight(*body, change.weight, error)) return AdminResponse::error(400, error);
        changes.push_back(change);
      }
      if (body->contains("drain")) {
        if (!(*body)["drain"].is_boolean()) return AdminResponse::error(400, "drain must be true or false");
        change.kind = TargetChange::Kind::drain;
        change.drain = (*body)["drain"].get<bool>();
        changes.push_back(change);
      }
    } else {
      return method_not_allowed("PATCH, DELETE");
    }
  }
  for (const auto& c : changes) {
    ChangeOutcome outcome = hooks_.change_target(c);
    if (outcome.status >= 400) return AdminResponse::error(static_cast<uint16_t>(outcome.status), outcome.error);
  }
  std::string what;
  for (const auto& c : changes) {
    if (!what.empty()) what += ", ";
    switch (c.kind) {
      case TargetChange::Kind::register_target: what += "registered"; break;
      case TargetChange::Kind::deregister: what += "deregistered (draining)"; break;
      case TargetChange::Kind::weight: what += "weight " + std::to_string(c.weight); break;
      case TargetChange::Kind::drain: what += c.drain ? "drained" : "enabled"; break;
    }
  }
  json out = {{"group", group}, {"address", change.address}, {"message", change.address + " " + what}};
  if (registry_.last()) out["snapshot_version"] = registry_.last()->version;
  return AdminResponse::json(out.dump(2) + "\n", change.kind == TargetChange::Kind::register_target ? 201 : 200);
}

AdminResponse AdminApi::listeners() const {
  const auto& snapshot = registry_.last();
  json out = json::array();
  if (!snapshot) return AdminResponse::json(out.dump(2) + "\n");
  const auto& config = *snapshot->config;
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& l = config.listeners[i];
    json rules = json::array();
    for (const auto& rule : l.rules) rules.push_back({{"name", rule.name}, {"action", action_to_json(rule.action)}});
    json listener = {{"name", l.name},
                     {"listen", l.listen.to_string()},
                     {"protocol", config::to_string(l.protocol)},
                     {"scheme", config::to_string(l.scheme)},
                     {"default", action_to_json(l.default_action)},
                     {"rules", rules}};
    if (i < snapshot->listener_stats.size()) {
      const auto totals = snapshot->listener_stats[i]->sum();
      listener["active_connections"] = totals.active_connections();
      listener["totals"] = totals_to_json(totals);
    }
    add_rates(listener, sampler_ ? sampler_->listener(l.name) : std::nullopt);
    out.push_back(listener);
  }
  return AdminResponse::json(out.dump(2) + "\n");
}

AdminResponse AdminApi::groups() const {
  const auto& snapshot = registry_.last();
  json out = json::array();
  if (!snapshot) return AdminResponse::json(out.dump(2) + "\n");
  for (const auto& group : snapshot->groups) {
    out.push_back({{"name", group.name()},
                   {"algorithm", config::to_string(group.config->algorithm)},
                   {"protocol", config::to_string(group.config->protocol)},
                   {"used", group.used},
                   {"failing_open", group.failing_open},
                   {"targets", group.targets.size() + group.draining.size()},
                   {"states", state_counts(group)}});
  }
  return AdminResponse::json(out.dump(2) + "\n");
}

AdminResponse AdminApi::group(const std::string& name) const {
  const auto& snapshot = registry_.last();
  const int index = snapshot ? snapshot->group_index(name) : -1;
  if (index < 0) return AdminResponse::error(404, "no target group named '" + name + "'");
  const auto& group = snapshot->groups[static_cast<size_t>(index)];
  json targets = json::array();
  const json names = !group.config->discovered.empty() && hooks_.discovery ? hooks_.discovery() : json::object();
  for (const auto& t : group.targets) {
    json target = target_to_json(registry_, sampler_, name, t);
    if (!t.origin.empty() && names.contains(t.origin)) {
      // A name that fails keeps giving its last good answer for a while: the target says so.
      const json& problem = names[t.origin]["problem"];
      if (problem.is_string()) target["dns_problem"] = problem;
    }
    if (auto view = hooks_.overrides ? hooks_.overrides(name, t.address_text) : std::nullopt) {
      if (view->registered) target["source"] = "api";
      if (view->weight) target["weight_set_by_api"] = true;
      if (view->drained) target["drained_by_operator"] = true;
    }
    targets.push_back(target);
  }
  for (const auto& t : group.draining) {
    json target = target_to_json(registry_, sampler_, name, t);
    target["removed"] = true;  // no longer in the configuration; kept until its connections end
    targets.push_back(target);
  }
  json out = group_settings_to_json(*group.config);
  out["used"] = group.used;
  out["failing_open"] = group.failing_open;
  out["states"] = state_counts(group);
  out["targets"] = targets;
  if (!group.config->discovered.empty()) {
    // The followed names, with what fails: a group whose name never resolved is empty, and
    // this says why.
    json followed = json::array();
    for (const auto& entry : group.config->discovered) {
      const std::string origin = entry.origin();
      followed.push_back(names.contains(origin) ? names[origin] : json{{"origin", origin}});
    }
    out["discovery"] = followed;
  }
  return AdminResponse::json(out.dump(2) + "\n");
}

AdminResponse AdminApi::config() const {
  const auto& snapshot = registry_.last();
  if (!snapshot) return AdminResponse::error(503, "no configuration applied yet");
  return AdminResponse::json(config_to_json(*snapshot->config).dump(2) + "\n");
}

AdminResponse AdminApi::status() const {
  json out = hooks_.process ? hooks_.process() : json::object();
  const auto& snapshot = registry_.last();
  uint32_t healthy = 0, targets = 0;
  if (snapshot) {
    out["listeners"] = snapshot->config->listeners.size();
    out["target_groups"] = snapshot->groups.size();
    for (const auto& group : snapshot->groups) {
      for (const auto& t : group.targets) {
        ++targets;
        if (t.status.state == upstream::TargetState::healthy) ++healthy;
      }
    }
    double rate = 0;
    bool measured = false;
    for (const auto& l : snapshot->config->listeners) {
      if (auto rates = sampler_ ? sampler_->listener(l.name) : std::nullopt) {
        rate += rates->requests_per_second;
        measured = true;
      }
    }
    out["requests_per_second"] = measured ? json(std::round(rate * 10.0) / 10.0) : json(nullptr);
  }
  out["targets"] = {{"healthy", healthy}, {"total", targets}};
  return AdminResponse::json(out.dump(2) + "\n");
}

AdminResponse AdminApi::reload() {
  if (!hooks_.reload) return AdminResponse::error(503, "reload is not available");
  ReloadOutcome outcome = hooks_.reload();
  json out = {{"reloaded", outcome.ok}, {"errors", outcome.errors}};
  if (outcome.ok && registry_.last()) out["snapshot_version"] = registry_.last()->version;
  // 422: the file was read but is not a configuration Fulcrum accepts; the old one serves on.
  return AdminResponse::json(out.dump(2) + "\n", outcome.ok ? 200 : 422);
}

}  // namespace fulcrum::admin
