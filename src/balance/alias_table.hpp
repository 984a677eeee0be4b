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

  bool empty() const { return columns_.empty(); }

  // One 64-bit draw: high half picks a column, low half decides between it and its alias.
  uint32_t draw(FastRandom& random) const {
    const uint64_t bits = random.next();
    const uint32_t index = static_cast<uint32_t>(((bits >> 32) * columns_.size()) >> 32);
    const Column& column = columns_[index];
    return static_cast<uint32_t>(bits) < column.threshold ? index : column.alias;
  }

 private:
  struct Column {  // side by side: one cache line read per draw
    uint32_t threshold = 0;  // keep the column when the low 32 bits are below this
    uint32_t alias = 0;
  };
  std::vector<Column> columns_;
};

}  // namespace fulcrum::balance
