#include "upstream/target_registry.hpp"

#include <set>

namespace fulcrum::upstream {

balance::Algorithm to_balance_algorithm(config::Algorithm algorithm) {
  using A = config::Algorithm;
  using B = balance::Algorithm;
  switch (algorithm) {
    case A::round_robin: return B::round_robin;
    case A::weighted_round_robin: return B::weighted_round_robin;
    case A::ip_hash: return B::ip_hash;
    case A::least_connections: return B::least_connections;
    case A::weighted_least_connections: return B::weighted_least_connections;
    case A::least_response_time: return B::least_response_time;
    case A::resource_based: return B::resource_based;
    case A::random_two_choices: return B::random_two_choices;
  }
  return B::weighted_round_robin;
}

std::shared_ptr<const Snapshot> TargetRegistry::build(std::shared_ptr<const config::Config> config,
                                                      int64_t now_ms) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->version = next_version_++;
  snapshot->config = config;
  std::set<Key> seen;

  for (const auto& group_config : config->target_groups) {
    GroupSnapshot group;
    group.config = &group_config;
    auto set = std::make_shared<balance::TargetSet>();
    set->version = snapshot->version;
    for (const auto& target_config : group_config.targets) {
      TargetInfo info;
      info.address = target_config.address;
      info.address_text = target_config.address.to_string();
      info.weight = target_config.weight;
      info.zone = target_config.zone;
      Key key{group_config.name, info.address_text};
      seen.insert(key);
      auto& record = records_[key];
      if (!record.counters) {
        record.counters = std::make_shared<balance::TargetCounters>();
        // Targets present when the process starts take full traffic at once (0: no slow start);
        // targets added later ramp up from now.
        record.eligible_since_ms = last_ == nullptr ? 0 : now_ms;
      }
      info.counters = record.counters;

      balance::Target target;
      target.key = balance::hash_key_bytes(info.address_text);
      target.weight = info.weight;
      target.healthy_since_ms = record.eligible_since_ms;
      target.counters = record.counters.get();
      if (target.weight > 0) set->eligible.push_back(static_cast<uint32_t>(set->targets.size()));
      set->targets.push_back(target);
      group.targets.push_back(std::move(info));
    }
    balance::Options options;
    options.algorithm = to_balance_algorithm(group_config.algorithm);
    options.slow_start_ms = group_config.slow_start.count();
    // The previous factory of the same group lets ip_hash keep its Maglev table when only
    // health changed (milliseconds instead of a rebuild on the control thread).
    const balance::PickerFactory* previous = nullptr;
    if (last_ != nullptr) {
      int index = last_->group_index(group_config.name);
      if (index >= 0) previous = last_->groups[static_cast<size_t>(index)].pickers.get();
    }
    group.pickers = balance::make_picker_factory(std::move(set), options, previous);
    snapshot->groups.push_back(std::move(group));
  }

  // Forget targets no configuration names any more; snapshots still in use keep their
  // counters alive through the shared_ptr.
  for (auto it = records_.begin(); it != records_.end();) {
    it = seen.count(it->first) ? std::next(it) : records_.erase(it);
  }
  last_ = snapshot;
  return snapshot;
}

}  // namespace fulcrum::upstream
