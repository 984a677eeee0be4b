#pragma once
// ip_hash: consistent hashing of PickRequest::hash (client address, header, cookie or URI,
// hashed with hash_key_bytes) over a weighted Maglev table (maglev_table.hpp).
//
// The table holds every target of weight > 0, healthy or not, so it depends only on the
// configuration. A key whose target is not a candidate right now (unhealthy, draining) or is
// avoided by a retry is rehashed (probe 1, 2, ...) to another slot. Hence:
//  - a target going down moves exactly its own keys, spread over the others by weight, and
//    they come back to it when it recovers;
//  - health changes rebuild the table to the same contents;
//  - adding or removing a target in the configuration moves about 1/N of the keys (Maglev).
// Slow start admits a share of a ramping target's keys that grows with the ramp; the choice
// is by key, so the admitted keys stay put as more are added. A request without a hash is
// spread at random in proportion to weight.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

// Reuses previous's table (when previous is an ip_hash factory over targets with the same keys
// and weights at the same indexes) instead of building a new one.
std::unique_ptr<PickerFactory> make_ip_hash_factory(std::shared_ptr<const TargetSet> set,
                                                    const Options& options,
                                                    const PickerFactory* previous = nullptr);

}  // namespace fulcrum::balance
