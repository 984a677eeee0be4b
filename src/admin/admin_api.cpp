#include "admin/admin_api.hpp"

#include <cmath>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "admin/config_json.hpp"
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
  out["active_connections"] = target.counters->active.load(std::memory_order_relaxed);
  const uint32_t ewma = target.counters->response_ewma_us.load(std::memory_order_relaxed);
  out["response_time_ewma_ms"] = ewma == 0 ? json(nullptr) : json(static_cast<double>(ewma) / 1000.0);
  out["traffic_failures_total"] = target.outcomes->failures_total.load(std::memory_order_relaxed);
  out["ejections"] = registry.ejections(group, target.address_text);
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
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET");
    AdminResponse response;
    response.content_type = kPrometheusContentType;
    response.body = render_metrics(registry_);
    return response;
  }
  if (path == "/api/v1/listeners") return get ? listeners() : method_not_allowed("GET");
  if (path == "/api/v1/target-groups") return get ? groups() : method_not_allowed("GET");
  if (path == "/api/v1/config") return get ? config() : method_not_allowed("GET");
  if (path == "/api/v1/reload") return request.method == "POST" ? reload() : method_not_allowed("POST");
  if (path.starts_with(kGroupsPrefix)) {
    std::string_view rest = std::string_view(path).substr(kGroupsPrefix.size());
    if (!rest.empty() && rest.find('/') == std::string_view::npos) {
      return get ? group(std::string(rest)) : method_not_allowed("GET");
    }
  }
  return AdminResponse::error(404, "no such resource: " + path + " (see docs/admin-api.md)");
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
  for (const auto& t : group.targets) targets.push_back(target_to_json(registry_, sampler_, name, t));
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
  return AdminResponse::json(out.dump(2) + "\n");
}

AdminResponse AdminApi::config() const {
  const auto& snapshot = registry_.last();
  if (!snapshot) return AdminResponse::error(503, "no configuration applied yet");
  return AdminResponse::json(config_to_json(*snapshot->config).dump(2) + "\n");
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
