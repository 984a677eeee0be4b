#pragma once
// The admin API's resources (docs/admin-api.md): what each path answers, built on the control
// thread from the registry's latest snapshot (the same picture the workers serve from).
//
//   GET  /api/v1/listeners                 listeners and their actions
//   GET  /api/v1/target-groups             groups with counts of targets per state
//   GET  /api/v1/target-groups/{name}      one group, every target with state, reason, history
//   GET  /api/v1/config                    the effective configuration, secrets redacted
//   POST /api/v1/reload                    re-read the file; 200 or 422 with FILE:LINE:COLUMN errors
//   GET  /metrics                          Prometheus text format (prometheus_metrics.hpp)
#include <functional>
#include <string>
#include <vector>

#include "admin/admin_message.hpp"
#include "admin/traffic_sampler.hpp"
#include "upstream/target_registry.hpp"

namespace fulcrum::admin {

struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> errors;  // FILE:LINE:COLUMN: message, or a sentence
};

class AdminApi {
 public:
  struct Hooks {
    std::function<ReloadOutcome()> reload;
  };

  // `sampler` gives requests/s and latency percentiles (may be null: totals only).
  AdminApi(const upstream::TargetRegistry& registry, const TrafficSampler* sampler, Hooks hooks);

  AdminResponse handle(const AdminRequest& request);

 private:
  AdminResponse listeners() const;
  AdminResponse groups() const;
  AdminResponse group(const std::string& name) const;
  AdminResponse config() const;
  AdminResponse reload();

  const upstream::TargetRegistry& registry_;
  const TrafficSampler* sampler_;
  Hooks hooks_;
};

// "2026-11-24T01:50:00.123Z" (UTC), or "" for 0.
std::string iso8601_utc(int64_t unix_ms);

}  // namespace fulcrum::admin
