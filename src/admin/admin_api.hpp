#pragma once
// The admin API's resources (docs/admin-api.md): what each path answers, built on the control
// thread from the registry's latest snapshot (the same picture the workers serve from).
//
//   GET  /                                 the dashboard page (dashboard_page.hpp)
//   GET  /api/v1/listeners                 listeners and their actions
//   GET  /api/v1/target-groups             groups with counts of targets per state
//   GET  /api/v1/target-groups/{name}      one group, every target with state, reason, history
//   GET  /api/v1/status                    the process: version, uptime, user, last reload, totals
//   GET  /api/v1/config                    the effective configuration, secrets redacted
//   POST /api/v1/reload                    re-read the file; 200 or 422 with FILE:LINE:COLUMN errors
//   POST   /api/v1/target-groups/{name}/targets            register {"address", "weight"?, "zone"?}
//   DELETE /api/v1/target-groups/{name}/targets/{address}  deregister (drains for deregistration_delay)
//   PATCH  /api/v1/target-groups/{name}/targets/{address}  {"weight"?: 0..1000, "drain"?: bool}
//   GET  /metrics                          Prometheus text format (prometheus_metrics.hpp)
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/admin_message.hpp"
#include "admin/traffic_sampler.hpp"
#include "core/endpoint.hpp"
#include "upstream/operator_overrides.hpp"
#include "upstream/target_registry.hpp"

namespace fulcrum::admin {

// A change to a group's targets asked through the API, already validated as JSON.
struct TargetChange {
  enum class Kind { register_target, deregister, weight, drain } kind = Kind::register_target;
  std::string group;
  std::string address;  // canonical (core::Endpoint::to_string)
  core::Endpoint endpoint;
  uint32_t weight = 1;
  std::string zone;
  bool drain = false;
};

struct ChangeOutcome {
  int status = 200;   // 4xx with `error` when refused
  std::string error;
};

struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> errors;  // FILE:LINE:COLUMN: message, or a sentence
};

class AdminApi {
 public:
  struct Hooks {
    std::function<ReloadOutcome()> reload;
    std::function<ChangeOutcome(const TargetChange&)> change_target;
    // What an operator changed about a target ("source": "api", overridden weight, drain).
    std::function<std::optional<upstream::OperatorOverrides::View>(const std::string&, const std::string&)> overrides;
    // More families appended to GET /metrics (the security controls' counters).
    std::function<std::string()> more_metrics;
    // The process for GET /api/v1/status: version, pid, uptime, user, last reload, STATUS line.
    std::function<nlohmann::json()> process;
    // Every followed DNS name, keyed by origin ("dns:NAME" / "srv:NAME"): its addresses,
    // whether it resolved, its problem.
    std::function<nlohmann::json()> discovery;
  };

  // `sampler` gives requests/s and latency percentiles (may be null: totals only).
  AdminApi(const upstream::TargetRegistry& registry, const TrafficSampler* sampler, Hooks hooks);

  AdminResponse handle(const AdminRequest& request);

 private:
  AdminResponse listeners() const;
  AdminResponse groups() const;
  AdminResponse group(const std::string& name) const;
  AdminResponse config() const;
  AdminResponse status() const;
  AdminResponse reload();
  AdminResponse targets(const AdminRequest& request, const std::string& group, const std::string& address);

  const upstream::TargetRegistry& registry_;
  const TrafficSampler* sampler_;
  Hooks hooks_;
};

// "2026-11-24T01:50:00.123Z" (UTC), or "" for 0.
std::string iso8601_utc(int64_t unix_ms);

}  // namespace fulcrum::admin
