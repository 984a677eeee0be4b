#include "discovery/expand_targets.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace fulcrum::discovery {

uint32_t scale_srv_weight(uint16_t weight, uint16_t largest) {
  if (largest == 0) return 1;  // all zero: equal shares
  const uint32_t scaled = (uint32_t{weight} * 1000 + largest / 2) / largest;
  return std::max<uint32_t>(scaled, 1);
}

config::Config expand_targets(const config::Config& file, const AddressesOf& addresses_of,
                              std::vector<DuplicateTarget>* duplicates) {
  config::Config out = file;
  for (auto& group : out.target_groups) {
    if (group.discovered.empty()) continue;
    std::vector<config::TargetConfig> statics = std::move(group.targets);
    group.targets.clear();
    std::map<std::string, std::string> origin_of;  // address -> who defined it first
    auto add = [&](config::TargetConfig target) {
      const std::string address = target.address.to_string();
      auto [it, added] = origin_of.try_emplace(address, target.origin.empty() ? "the file" : target.origin);
      if (!added) {
        if (duplicates != nullptr) {
          duplicates->push_back(DuplicateTarget{group.name, address, target.origin.empty() ? "the file" : target.origin,
                                                it->second});
        }
        return;
      }
      group.targets.push_back(std::move(target));
    };
    const size_t entries = statics.size() + group.discovered.size();
    size_t next_static = 0;
    size_t next_discovered = 0;
    for (size_t position = 0; position < entries; ++position) {
      const bool discovered_here = next_discovered < group.discovered.size() &&
                                   group.discovered[next_discovered].position == position;
      if (!discovered_here) {
        if (next_static < statics.size()) add(std::move(statics[next_static++]));
        continue;
      }
      const auto& entry = group.discovered[next_discovered++];
      const auto* found = addresses_of(entry);
      if (found == nullptr) continue;
      uint16_t largest = 0;
      std::set<uint16_t> priorities;
      for (const auto& f : *found) {
        largest = std::max(largest, f.srv_weight);
        priorities.insert(f.srv_priority);
      }
      for (const auto& f : *found) {
        config::TargetConfig target;
        target.address = f.address;
        target.zone = entry.zone;
        target.origin = entry.origin();
        if (entry.kind == config::DiscoveryKind::address) {
          target.address.set_port(entry.port);
          target.weight = entry.weight.value_or(1);
        } else {
          target.weight = scale_srv_weight(f.srv_weight, largest);
          target.tier = static_cast<uint32_t>(std::distance(priorities.begin(), priorities.find(f.srv_priority)));
        }
        target.address_text = target.address.to_string();
        add(std::move(target));
      }
    }
  }
  return out;
}

}  // namespace fulcrum::discovery
