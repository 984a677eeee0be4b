#include "upstream/operator_overrides.hpp"

#include <algorithm>

namespace fulcrum::upstream {
namespace {

config::TargetGroupConfig* find_group(config::Config& config, const std::string& name) {
  for (auto& group : config.target_groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

const config::TargetConfig* find_target(const config::TargetGroupConfig& group, const std::string& address) {
  for (const auto& target : group.targets) {
    if (target.address.to_string() == address) return &target;
  }
  return nullptr;
}

// "" when the effective configuration has this target; else the 404 sentence.
std::string not_found(const config::Config& effective, const std::string& group, const std::string& address,
                      int& status) {
  const auto* g = effective.find_group(group);
  if (g != nullptr && find_target(*g, address) != nullptr) return {};
  status = 404;
  return g == nullptr ? "no target group named '" + group + "'" : "no target " + address + " in group '" + group + "'";
}

}  // namespace

OperatorOverrides::FileEntry OperatorOverrides::file_entry(const config::Config& file, const std::string& group,
                                                           const std::string& address) {
  FileEntry entry;
  const auto* g = file.find_group(group);
  const auto* t = g != nullptr ? find_target(*g, address) : nullptr;
  if (t != nullptr) {
    entry.present = true;
    entry.weight = t->weight;
    entry.zone = t->zone;
  }
  return entry;
}

OperatorOverrides::Change& OperatorOverrides::change_for(const config::Config& file, const std::string& group,
                                                         const std::string& address) {
  auto [it, added] = changes_.try_emplace(Key{group, address});
  if (added) it->second.file = file_entry(file, group, address);
  return it->second;
}

config::Config OperatorOverrides::apply(const config::Config& file, std::vector<Dropped>* dropped) {
  for (auto it = changes_.begin(); it != changes_.end();) {
    const bool group_gone = file.find_group(it->first.first) == nullptr;
    if (group_gone || !(file_entry(file, it->first.first, it->first.second) == it->second.file)) {
      if (dropped != nullptr) dropped->push_back(Dropped{it->first.first, it->first.second});
      it = changes_.erase(it);
    } else {
      ++it;
    }
  }
  config::Config out = file;
  for (const auto& [key, change] : changes_) {
    auto* group = find_group(out, key.first);
    if (group == nullptr) continue;
    auto& targets = group->targets;
    if (change.registered) targets.push_back(*change.registered);
    auto it = std::find_if(targets.begin(), targets.end(),
                           [&](const config::TargetConfig& t) { return t.address.to_string() == key.second; });
    if (it == targets.end()) continue;
    if (change.deregistered) {
      targets.erase(it);
      continue;
    }
    if (change.weight) it->weight = *change.weight;
    it->operator_drain = change.drained;
  }
  return out;
}

std::string OperatorOverrides::register_target(const config::Config& file, const config::Config& effective,
                                               const std::string& group, const config::TargetConfig& target,
                                               int& status) {
  const auto* g = effective.find_group(group);
  if (g == nullptr) {
    status = 404;
    return "no target group named '" + group + "'";
  }
  const std::string address = target.address.to_string();
  if (find_target(*g, address) != nullptr) {
    status = 409;
    return "target " + address + " is already registered in group '" + group + "'";
  }
  Change& change = change_for(file, group, address);
  if (change.file.present) {
    // The file has it but an earlier API call deregistered it: registering undoes that.
    change.deregistered = false;
    change.weight = target.weight != change.file.weight ? std::optional<uint32_t>(target.weight) : std::nullopt;
  } else {
    change.registered = target;
    change.registered->address_text = address;
  }
  return {};
}

std::string OperatorOverrides::deregister_target(const config::Config& file, const config::Config& effective,
                                                 const std::string& group, const std::string& address, int& status) {
  if (std::string missing = not_found(effective, group, address, status); !missing.empty()) return missing;
  Change& change = change_for(file, group, address);
  if (change.registered) {
    changes_.erase(Key{group, address});  // registered by the API: forgetting it removes it
  } else {
    change.deregistered = true;
    change.weight.reset();
    change.drained = false;
  }
  return {};
}

std::string OperatorOverrides::set_weight(const config::Config& file, const config::Config& effective,
                                          const std::string& group, const std::string& address, uint32_t weight,
                                          int& status) {
  if (std::string missing = not_found(effective, group, address, status); !missing.empty()) return missing;
  Change& change = change_for(file, group, address);
  if (change.registered) {
    change.registered->weight = weight;
  } else {
    change.weight = weight;
  }
  return {};
}

std::string OperatorOverrides::set_drained(const config::Config& file, const config::Config& effective,
                                           const std::string& group, const std::string& address, bool drained,
                                           int& status) {
  if (std::string missing = not_found(effective, group, address, status); !missing.empty()) return missing;
  Change& change = change_for(file, group, address);
  change.drained = drained;
  // A change that changes nothing any more is forgotten.
  if (!change.registered && !change.deregistered && !change.weight && !change.drained) {
    changes_.erase(Key{group, address});
  }
  return {};
}

std::optional<OperatorOverrides::View> OperatorOverrides::view(const std::string& group,
                                                               const std::string& address) const {
  auto it = changes_.find(Key{group, address});
  if (it == changes_.end() || it->second.deregistered) return std::nullopt;
  return View{it->second.registered.has_value(), it->second.weight, it->second.drained};
}

}  // namespace fulcrum::upstream
