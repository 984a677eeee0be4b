#pragma once
// The configuration to serve, from the file's and what the followed names give now: every
// `dns:` and `srv:` entry of a group becomes one TargetConfig per address, in the place the
// entry has in the file. Pure (tests/unit/discovery/expand_targets_test.cpp).
//
// - `dns:` addresses take the entry's port, weight (default 1) and zone.
// - `srv:` addresses take the record's port; SRV weights (0..65535) scale onto 1..1000 by the
//   largest weight of the answer, so their ratios hold and 0 becomes the smallest non-zero
//   weight (RFC 2782: "a very small chance"); priorities become tiers 0, 1, ... in order.
// - An address defined twice (statically and by a name, or by two names) is one target: the
//   first definition in the file wins; the others are returned in `duplicates` to be logged.
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "discovery/name_watch.hpp"

namespace fulcrum::discovery {

struct DuplicateTarget {
  std::string group;
  std::string address;
  std::string origin;  // the definition that lost
  std::string kept;    // the one that won ("the file" or an origin)
};

// What a name gives now; null when nothing follows it (yet).
using AddressesOf = std::function<const std::vector<FoundAddress>*(const config::DiscoveredTargets&)>;

config::Config expand_targets(const config::Config& file, const AddressesOf& addresses_of,
                              std::vector<DuplicateTarget>* duplicates = nullptr);

// 0..65535 onto 1..1000 against the largest weight of the answer.
uint32_t scale_srv_weight(uint16_t weight, uint16_t largest);

}  // namespace fulcrum::discovery
