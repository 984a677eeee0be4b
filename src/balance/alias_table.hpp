#pragma once
// AliasTable: draws an index with probability proportional to its weight in O(1) (Walker's
// alias method, built with Vose's two-worklist construction). Used by random_two_choices so
// that its samples respect weights at any group size.
#include <cstdint>
#include <span>
#include <vector>

#include "balance/fast_random.hpp"

namespace fulcrum::balance {

class AliasTable {
 public:
  AliasTable() = default;
  explicit AliasTable(std::span<const uint32_t> weights);

  bool empty() const { return threshold_.empty(); }

  // One 64-bit draw: high half picks a column, low half decides between it and its alias.
  uint32_t draw(FastRandom& random) const {
    const uint64_t bits = random.next();
    const uint32_t column = static_cast<uint32_t>(((bits >> 32) * threshold_.size()) >> 32);
    return static_cast<uint32_t>(bits) < threshold_[column] ? column : alias_[column];
  }

 private:
  std::vector<uint32_t> threshold_;  // keep the column when the low 32 bits are below this
  std::vector<uint32_t> alias_;
};

}  // namespace fulcrum::balance
