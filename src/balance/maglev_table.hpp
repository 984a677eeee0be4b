#pragma once
// MaglevTable: the consistent-hash lookup table behind ip_hash (Eisenbud et al., "Maglev",
// NSDI 2016), weighted, built once per snapshot off the data path; a lookup is one array read.
//
// - Size: a prime >= 100 x members, taken from a fixed ladder (the first prime above
//   max(65536, the power of two >= 100 x members)), so that adding or removing a few targets
//   keeps the same size and thus the same permutations: only then is disruption minimal.
//   65,537 slots cover groups up to 655 targets; a 10,000-target group uses 1,048,583.
// - Each member's permutation of the slots comes from its stable `key` alone, and members
//   claim slots in key order, so the table is the same whatever the order of targets in the
//   configuration, on every Fulcrum instance.
// - Weights: in round r a member of weight w may hold floor(r * w / w_max) slots, so slots
//   are shared in proportion to weight (equal weights: plain Maglev, shares within one slot).
#include <cstdint>
#include <span>
#include <vector>

#include "balance/picker.hpp"

namespace fulcrum::balance {

class MaglevTable {
 public:
  // Members are the targets with weight > 0, whatever their health (see ip_hash.hpp).
  explicit MaglevTable(std::span<const Target> targets);

  uint32_t size() const { return static_cast<uint32_t>(owner_count()); }
  bool empty() const { return members_.empty(); }

  // The target index (into TargetSet::targets) owning `slot` (< size()).
  uint32_t owner(uint32_t slot) const {
    return members_[narrow_.empty() ? wide_[slot] : narrow_[slot]];
  }

  // A well-mixed 64-bit value to a slot, by multiply-shift (no division on the data path).
  uint32_t slot_of(uint64_t mixed) const {
    return static_cast<uint32_t>(((mixed >> 32) * owner_count()) >> 32);
  }

  static uint32_t size_for(size_t member_count);

 private:
  struct Member {
    uint64_t key;
    uint32_t weight;
    uint32_t target;
  };
  template <class Slot>
  static void fill(const std::vector<Member>& members, std::vector<Slot>& slots);

  size_t owner_count() const { return narrow_.empty() ? wide_.size() : narrow_.size(); }

  std::vector<uint32_t> members_;  // member -> target index
  // slot -> member; 16-bit entries whenever members fit, halving the table's memory.
  std::vector<uint16_t> narrow_;
  std::vector<uint32_t> wide_;
};

}  // namespace fulcrum::balance
