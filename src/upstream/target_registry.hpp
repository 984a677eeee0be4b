#pragma once
// Control-thread owner of everything about targets that outlives one snapshot: the shared
// counters (active connections, response-time EWMA, reported load), the passive-health
// outcomes, each target's status (state + reason, set by the health room) and eligibility.
// A target keeps all of it across reloads as long as its group and address stay the same.
// Targets removed from the configuration stay as `draining` until their open connections end
// or the group's deregistration_delay runs out (finish_draining).
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "upstream/health_sources.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {

class TargetRegistry {
 public:
  struct Transition {
    std::string group;
    std::string address;
    TargetState from = TargetState::initial;
    TargetStatus to;
  };
  // A draining target that is gone for good.
  struct DrainEnd {
    std::string group;
    std::string address;
    std::shared_ptr<TrafficOutcomes> identity;  // what OpenSessions knows the target by
    uint32_t open_connections = 0;              // > 0: the delay ran out; close them
  };

  // Per-worker counter slots for the stats of targets and listeners made from now on (before
  // the first build).
  void set_worker_count(uint32_t workers) { workers_ = workers; }

  // Builds a new snapshot for this configuration. Targets seen before keep their counters,
  // status and the time they became eligible (slow start must not restart on every reload).
  std::shared_ptr<const Snapshot> build(std::shared_ptr<const config::Config> config, int64_t now_ms);
  // A new snapshot of the same configuration, after statuses changed.
  std::shared_ptr<const Snapshot> rebuild(int64_t now_ms) { return build(config_, now_ms); }

  // Sets a configured target's status (the health room's verdict); false when the target is
  // unknown, draining, in an unused group, or the status is the same. Takes effect at the
  // next build.
  bool set_status(const std::string& group, const std::string& address, TargetStatus status, int64_t now_ms);
  const TargetStatus* status(const std::string& group, const std::string& address) const;
  // What each health source says about a configured target (the health room's view, shown
  // beside the status by the admin API). Kept while the target is drained too: its checks go on.
  void set_sources(const std::string& group, const std::string& address, HealthSources sources);
  const HealthSources* sources(const std::string& group, const std::string& address) const;
  // The target's last kHistory statuses, oldest first (the admin API shows them): every
  // transition is kept with its time, reason code and sentence.
  std::vector<TargetStatus> history(const std::string& group, const std::string& address) const;
  static constexpr size_t kHistory = 8;
  // How many times the target was ejected on real traffic (Target.OutlierEjected) since it
  // was first seen.
  uint64_t ejections(const std::string& group, const std::string& address) const;

  // Removes draining targets whose connections all ended or whose delay ran out.
  std::vector<DrainEnd> finish_draining(int64_t now_ms);
  bool has_draining() const { return draining_count_ > 0; }

  // Every status change since the last call, in order (the health room logs them).
  std::vector<Transition> take_transitions() { return std::move(transitions_); }

  const std::shared_ptr<const Snapshot>& last() const { return last_; }

  // The doorbell every group of the snapshots built from now on rings when a target's failures
  // in a row reach its group's threshold (the health monitor's; null: none).
  void set_doorbell(std::shared_ptr<const OutlierDoorbell> doorbell) { doorbell_ = std::move(doorbell); }

  // The status a configured target starts with: initial when its group is checked.
  static TargetStatus default_status(const config::TargetGroupConfig& group);

 private:
  struct TargetRecord {
    std::shared_ptr<balance::TargetCounters> counters;
    std::shared_ptr<TrafficOutcomes> outcomes;
    std::shared_ptr<TrafficStats> stats;
    uint64_t ejections = 0;
    int64_t eligible_since_ms = 0;
    TargetStatus status;
    HealthSources sources;
    std::deque<TargetStatus> history;  // earlier statuses, oldest first, at most kHistory
    bool operator_drain = false;  // drained through the admin API
    TargetStatus held;            // the health verdict kept while operator-drained
    bool draining = false;  // removed from the configuration
    int64_t drain_deadline_ms = 0;
    TargetInfo last_info;   // how it was last configured (for the draining list)
  };
  using Key = std::pair<std::string, std::string>;  // group name, canonical address
  void change(const Key& key, TargetRecord& record, TargetStatus status, int64_t now_ms);

  std::map<Key, TargetRecord> records_;
  std::map<std::string, std::shared_ptr<TrafficStats>, std::less<>> listener_stats_;  // by listener name
  std::map<std::string, std::shared_ptr<RetryBudget>, std::less<>> retry_budgets_;    // by group name
  std::shared_ptr<const OutlierDoorbell> doorbell_;
  uint32_t workers_ = 1;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const Snapshot> last_;  // the latest built; its factories seed the next
  std::vector<Transition> transitions_;
  size_t draining_count_ = 0;
  uint64_t next_version_ = 1;
};

}  // namespace fulcrum::upstream
