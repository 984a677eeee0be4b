#pragma once
// The health room's control-thread object: runs the active checks of every target of every
// used group (spread over the interval, at most one in flight per target, never on a worker),
// ejects targets that fail on real traffic (outlier detection), ends draining targets, turns
// all of it into each target's status in the registry, publishes snapshots when something
// changed, and logs one readable line per transition.
//
// Owned by the runtime and driven by its control loop:
//   HealthMonitor monitor(control_loop, registry, {.publish = ..., .close_sessions = ...});
//   monitor.apply(config);   // at start and on every reload
//   monitor.stop();          // before the loop goes
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "health/check_outcome.hpp"
#include "health/outlier_ejection.hpp"
#include "health/rise_fall.hpp"
#include "health/tcp_check_schedule.hpp"
#include "upstream/target_registry.hpp"

namespace fulcrum::health {

class HealthMonitor {
 public:
  struct Hooks {
    // Hands a new snapshot to the workers.
    std::function<void(std::shared_ptr<const upstream::Snapshot>)> publish;
    // Ends every open connection to this target on every worker (its deregistration delay ran out).
    std::function<void(std::shared_ptr<upstream::TrafficOutcomes>)> close_sessions;
  };

  HealthMonitor(asio::io_context& loop, upstream::TargetRegistry& registry, Hooks hooks);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Builds and publishes the snapshot for `config` (start or reload), then starts, keeps or
  // stops checks to match it. Targets keep their verdicts across reloads.
  void apply(std::shared_ptr<const config::Config> config);
  void stop();

  size_t running_probes() const;

 private:
  using Key = std::pair<std::string, std::string>;  // group name, canonical address
  struct Probe;
  struct Watched {
    Key key;
    bool checked = false;  // the group has active checks
    std::shared_ptr<Probe> probe;        // the check of health_check.protocol
    std::shared_ptr<Probe> agent_probe;  // agent_port beside another protocol
    std::string fingerprint;             // the check settings the probes were made for
    RiseFall rise_fall{2, 3};
    std::string verdict_code;  // why the verdict is what it is
    std::string verdict_reason;
    int64_t verdict_since_unix_ms = upstream::unix_now_ms();
    AgentWord agent = AgentWord::none;
    std::string agent_comment;
    const config::OutlierDetection* outlier = nullptr;  // the group's, in the registry's configuration
    Ejection ejection;
    // The passive source's last event: the ejection (Target.OutlierEjected, its sentence valid
    // while ejected) or how it ended (Target.EjectionEnded / Target.EjectionCleared).
    std::string passive_code;
    std::string passive_reason;
    int64_t passive_since_unix_ms = 0;
    int64_t ejected_until_unix_ms = 0;
    // What the status says after an ejection ended (ran out, or cleared by an active
    // recovery), until the next verdict.
    std::string returned_code;
    std::string returned_reason;
    bool sources_dirty = true;  // the registry's HealthSources are behind
    std::shared_ptr<balance::TargetCounters> counters;
    std::shared_ptr<upstream::TrafficOutcomes> outcomes;
    upstream::TargetStatus published;  // the status last handed to the registry
  };
  // A used group's targets, for the outlier tick (no map lookups on the way).
  struct GroupWatch {
    const config::OutlierDetection* settings = nullptr;
    std::vector<Watched*> targets;
  };
  enum class OpenEpisode { none, failing_open, failing_closed };

  void sync_probes(const upstream::Snapshot& snapshot);
  std::shared_ptr<Probe> start_probe(Watched& watched, const config::TargetGroupConfig& group,
                                     const upstream::TargetInfo& target, bool agent_aux);
  void stop_probe(Probe& probe);
  void on_check(Probe& probe, CheckOutcome outcome);
  void recompute(Watched& watched);
  void push_sources(Watched& watched);
  void log_passive_unless_shown(const Watched& watched, const char* event, const std::string& status_reason);
  void tick();
  void schedule_tick();
  void wait_for_doorbell();
  void schedule_publish();
  void publish_now();
  void log_transitions();
  void log_open_episodes(const upstream::Snapshot& snapshot);
  asio::ssl::context& tls_context();

  asio::io_context& loop_;
  upstream::TargetRegistry& registry_;
  Hooks hooks_;
  std::map<Key, std::unique_ptr<Watched>> watched_;  // stable addresses: probes point at theirs
  std::vector<GroupWatch> groups_;
  std::map<std::string, OpenEpisode> episodes_;
  asio::steady_timer tick_timer_;
  asio::steady_timer publish_timer_;
  // Rung by the data path when a failure streak reaches its threshold: a tick at once.
  std::shared_ptr<upstream::OutlierDoorbell> doorbell_;
  asio::posix::stream_descriptor doorbell_wait_;
  TcpCheckSchedule tcp_checks_;  // every plain tcp check, batched (tcp_check_schedule.hpp)
  bool publish_pending_ = false;
  bool stopped_ = false;
  std::unique_ptr<asio::ssl::context> tls_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace fulcrum::health
