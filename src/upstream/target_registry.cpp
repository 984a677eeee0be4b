#include "upstream/target_registry.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "core/clock.hpp"

namespace fulcrum::upstream {
namespace {

// Groups some listener forwards to (its default or any rule), or whose targets a DNS site
// answers with: the others are `unused` (not checked, never eligible).
std::set<std::string, std::less<>> referenced_groups(const config::Config& config) {
  std::set<std::string, std::less<>> names;
  auto add = [&](const config::Action& action) {
    if (action.kind != config::Action::Kind::forward) return;
    for (const auto& entry : action.forward) names.insert(entry.group);
  };
  for (const auto& listener : config.listeners) {
    add(listener.default_action);
    for (const auto& rule : listener.rules) add(rule.action);
  }
  for (const auto& site : config.dns.sites) names.insert(site.group);
  return names;
}

// Keeps in `indexes` the targets of the lowest tier among them; returns the others, one list
// per tier, lowest tier first.
std::vector<std::vector<uint32_t>> keep_lowest_tier(std::vector<uint32_t>& indexes,
                                                    const std::vector<uint32_t>& tiers) {
  std::map<uint32_t, std::vector<uint32_t>> by_tier;
  for (uint32_t i : indexes) by_tier[tiers[i]].push_back(i);
  std::vector<std::vector<uint32_t>> higher;
  if (by_tier.empty()) return higher;
  indexes = std::move(by_tier.begin()->second);
  for (auto it = std::next(by_tier.begin()); it != by_tier.end(); ++it) higher.push_back(std::move(it->second));
  return higher;
}

TargetStatus make_status(TargetState state, std::string code, std::string reason) {
  return TargetStatus{state, std::move(code), std::move(reason), unix_now_ms()};
}

}  // namespace

TargetStatus TargetRegistry::default_status(const config::TargetGroupConfig& group) {
  if (group.health_check.enabled) {
    return make_status(TargetState::initial, "Elb.InitialHealthChecking", "waiting for the first health check");
  }
  return make_status(TargetState::healthy, "Target.HealthCheckDisabled",
                     "no health_check for this group: healthy unless ejected on traffic");
}

void TargetRegistry::change(const Key& key, TargetRecord& record, TargetStatus status, int64_t now_ms) {
  if (record.status == status) return;
  const TargetState from = record.status.state;
  // Slow start ramps a target that becomes healthy again (or joins after start-up); targets
  // healthy at their first verdict after start-up take full traffic at once.
  if (status.state == TargetState::healthy && from != TargetState::healthy &&
      (from == TargetState::unhealthy || record.eligible_since_ms != 0)) {
    record.eligible_since_ms = now_ms;
  }
  if (from == status.state) status.since_unix_ms = record.status.since_unix_ms;  // only the reason changed
  if (status.reason_code == "Target.OutlierEjected" && record.status.reason_code != status.reason_code) {
    ++record.ejections;
  }
  transitions_.push_back(Transition{key.first, key.second, from, status});
  record.history.push_back(std::move(record.status));
  if (record.history.size() >= kHistory) record.history.pop_front();
  record.status = std::move(status);
}

std::vector<TargetStatus> TargetRegistry::history(const std::string& group, const std::string& address) const {
  auto it = records_.find(Key{group, address});
  if (it == records_.end()) return {};
  std::vector<TargetStatus> out(it->second.history.begin(), it->second.history.end());
  out.push_back(it->second.status);
  return out;
}

bool TargetRegistry::set_status(const std::string& group, const std::string& address, TargetStatus status,
                                int64_t now_ms) {
  auto it = records_.find(Key{group, address});
  if (it == records_.end() || it->second.draining || it->second.status.state == TargetState::unused) return false;
  if (it->second.operator_drain) {
    it->second.held = std::move(status);  // the verdict returns when the operator enables it again
    return false;
  }
  if (it->second.status == status) return false;
  change(it->first, it->second, std::move(status), now_ms);
  return true;
}

uint64_t TargetRegistry::ejections(const std::string& group, const std::string& address) const {
  auto it = records_.find(Key{group, address});
  return it == records_.end() ? 0 : it->second.ejections;
}

const TargetStatus* TargetRegistry::status(const std::string& group, const std::string& address) const {
  auto it = records_.find(Key{group, address});
  return it == records_.end() ? nullptr : &it->second.status;
}

void TargetRegistry::set_sources(const std::string& group, const std::string& address, HealthSources sources) {
  auto it = records_.find(Key{group, address});
  if (it != records_.end()) it->second.sources = std::move(sources);
}

const HealthSources* TargetRegistry::sources(const std::string& group, const std::string& address) const {
  auto it = records_.find(Key{group, address});
  return it == records_.end() ? nullptr : &it->second.sources;
}

std::shared_ptr<const Snapshot> TargetRegistry::build(std::shared_ptr<const config::Config> config, int64_t now_ms) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->version = next_version_++;
  snapshot->config = config;
  const auto used_groups = referenced_groups(*config);
  std::set<Key> seen;
  for (const auto& listener : config->listeners) {
    auto& stats = listener_stats_[listener.name];
    if (!stats) stats = std::make_shared<TrafficStats>(workers_);
    snapshot->listener_stats.push_back(stats);
  }

  for (const auto& group_config : config->target_groups) {
    GroupSnapshot group;
    group.config = &group_config;
    group.used = used_groups.count(group_config.name) > 0;
    auto set = std::make_shared<balance::TargetSet>();
    set->version = snapshot->version;
    std::vector<uint32_t> waiting;  // initial or unhealthy: the fail-open candidates
    std::vector<uint32_t> tiers;    // per target (SRV priorities, else all 0)
    for (const auto& target_config : group_config.targets) {
      TargetInfo info;
      info.address = target_config.address;
      info.address_text = target_config.address.to_string();
      info.weight = target_config.weight;
      info.zone = target_config.zone;
      info.origin = target_config.origin;
      info.tier = target_config.tier;
      Key key{group_config.name, info.address_text};
      seen.insert(key);
      auto [it, added] = records_.try_emplace(key);
      auto& record = it->second;
      if (added) {
        record.counters = std::make_shared<balance::TargetCounters>();
        record.outcomes = std::make_shared<TrafficOutcomes>();
        record.stats = std::make_shared<TrafficStats>(workers_);
        // Targets present when the process starts take full traffic at once (0: no slow start);
        // targets added later ramp up from now.
        record.eligible_since_ms = last_ == nullptr ? 0 : now_ms;
        record.status = default_status(group_config);
        if (!group.used) {
          record.status = make_status(TargetState::unused, "Target.NotInUse",
                                      "no listener forwards to group " + group_config.name);
        }
        // At start-up every target is new: only the unusual (unused) ones are worth a line.
        if (last_ != nullptr || !group.used) {
          transitions_.push_back(Transition{key.first, key.second, TargetState::initial, record.status});
        }
      }
      if (record.draining) {  // added back while draining: judged afresh
        record.draining = false;
        --draining_count_;
        change(key, record, default_status(group_config), now_ms);
      }
      if (!group.used) {
        change(key, record,
               make_status(TargetState::unused, "Target.NotInUse", "no listener forwards to group " + group_config.name),
               now_ms);
      } else if (record.status.state == TargetState::unused) {
        change(key, record, default_status(group_config), now_ms);
      }
      if (group.used && target_config.operator_drain && !record.operator_drain) {
        record.operator_drain = true;
        record.held = record.status;
        change(key, record,
               make_status(TargetState::draining, "Target.OperatorDrain",
                           "drained by an operator (admin API): open connections finish, no new ones"),
               now_ms);
      } else if (record.operator_drain && (!target_config.operator_drain || !group.used)) {
        record.operator_drain = false;
        TargetStatus back = group.used ? record.held : record.status;
        back.since_unix_ms = unix_now_ms();
        change(key, record, std::move(back), now_ms);
      }
      info.counters = record.counters;
      info.outcomes = record.outcomes;
      info.stats = record.stats;
      info.status = record.status;
      record.last_info = info;

      balance::Target target;
      target.key = balance::hash_key_bytes(info.address_text);
      target.weight = info.weight;
      target.healthy_since_ms = record.eligible_since_ms;
      target.counters = record.counters.get();
      const auto index = static_cast<uint32_t>(set->targets.size());
      if (target.weight > 0) {
        if (record.status.state == TargetState::healthy) set->eligible.push_back(index);
        if (record.status.state == TargetState::initial || record.status.state == TargetState::unhealthy) {
          waiting.push_back(index);
        }
      }
      set->targets.push_back(target);
      tiers.push_back(info.tier);
      group.targets.push_back(std::move(info));
    }
    // SRV priorities (RFC 2782): only the lowest tier with a healthy target takes traffic, the
    // next one when it has none; the healthy ones of higher tiers stand by for retries
    // (balance/standby_tiers.hpp). Fail-open below looks at the lowest waiting tier the same way.
    set->standby = keep_lowest_tier(set->eligible, tiers);
    (void)keep_lowest_tier(waiting, tiers);
    // Fail-open (ELB): with no healthy target left, a group that may not fail closed sends to
    // every target that is only waiting or failing (never to draining ones).
    if (set->eligible.empty() && !waiting.empty() && group.used && group_config.fail_open) {
      set->eligible = std::move(waiting);
      group.failing_open = true;
    }
    balance::Options options;
    options.algorithm = group_config.algorithm;
    options.slow_start_ms = group_config.slow_start.count();
    options.max_attempts = group_config.max_connect_attempts;
    // The previous factory of the same group lets ip_hash keep its Maglev table when only
    // health changed (milliseconds instead of a rebuild on the control thread).
    const balance::PickerFactory* previous = nullptr;
    if (last_ != nullptr) {
      int index = last_->group_index(group_config.name);
      if (index >= 0) previous = last_->groups[static_cast<size_t>(index)].pickers.get();
    }
    group.pickers = balance::make_picker_factory(std::move(set), options, previous);
    group.key_source = KeySource::of(group_config);
    auto& budget = retry_budgets_[group_config.name];
    if (!budget) budget = std::make_shared<RetryBudget>();
    group.retry_budget = budget;
    group.doorbell = doorbell_;
    snapshot->groups.push_back(std::move(group));
  }

  // Targets no configuration names any more: draining for their group's deregistration_delay
  // (as the previous configuration said it). Snapshots still in use keep their counters alive.
  for (auto& [key, record] : records_) {
    if (seen.count(key) || record.draining) continue;
    const config::TargetGroupConfig* old_group = config_ ? config_->find_group(key.first) : nullptr;
    const auto delay = old_group != nullptr ? old_group->deregistration_delay : config::Duration{0};
    record.draining = true;
    ++draining_count_;
    record.drain_deadline_ms = now_ms + delay.count();
    // A discovered target whose name is still followed left the answers; otherwise the file
    // (or the API) removed it.
    const std::string& origin = record.last_info.origin;
    const config::TargetGroupConfig* group_now = config->find_group(key.first);
    const bool still_followed =
        !origin.empty() && group_now != nullptr &&
        std::any_of(group_now->discovered.begin(), group_now->discovered.end(),
                    [&](const config::DiscoveredTargets& entry) { return entry.origin() == origin; });
    const std::string removed =
        still_followed ? "no longer in the DNS answers for " + origin.substr(4) : "removed from the configuration";
    change(key, record,
           make_status(TargetState::draining, "Target.DeregistrationInProgress",
                       removed + "; open connections may finish within " + std::to_string(delay.count() / 1000) +
                           "s"),
           now_ms);
  }
  for (auto& [key, record] : records_) {
    if (!record.draining) continue;
    int index = snapshot->group_index(key.first);
    if (index < 0) continue;
    TargetInfo info = record.last_info;
    info.status = record.status;
    snapshot->groups[static_cast<size_t>(index)].draining.push_back(std::move(info));
  }
  config_ = std::move(config);
  last_ = snapshot;
  return snapshot;
}

std::vector<TargetRegistry::DrainEnd> TargetRegistry::finish_draining(int64_t now_ms) {
  std::vector<DrainEnd> ended;
  if (draining_count_ == 0) return ended;
  for (auto it = records_.begin(); it != records_.end();) {
    auto& record = it->second;
    uint32_t open = record.draining ? record.counters->active.load(std::memory_order_relaxed) : 0;
    if (!record.draining || (open > 0 && now_ms < record.drain_deadline_ms)) {
      ++it;
      continue;
    }
    ended.push_back(DrainEnd{it->first.first, it->first.second, record.outcomes, open});
    --draining_count_;
    it = records_.erase(it);
  }
  return ended;
}

}  // namespace fulcrum::upstream
