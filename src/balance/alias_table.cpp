#include "balance/alias_table.hpp"

#include <numeric>

namespace fulcrum::balance {

AliasTable::AliasTable(std::span<const uint32_t> weights) : columns_(weights.size()) {
  const size_t count = weights.size();
  if (count == 0) return;
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  // Each column holds mass 1 on average: scaled weight = weight * count / total.
  std::vector<double> mass(count);
  std::vector<uint32_t> light;
  std::vector<uint32_t> heavy;
  for (uint32_t i = 0; i < count; ++i) {
    mass[i] = weights[i] * static_cast<double>(count) / total;
    (mass[i] < 1.0 ? light : heavy).push_back(i);
    columns_[i].alias = i;
  }
  constexpr double kFull = 4294967296.0;  // 2^32: threshold for "always keep the column"
  const auto threshold_of = [&](double share) {
    const double scaled = share * kFull;
    return scaled >= kFull - 1 ? uint32_t{0xffffffff} : static_cast<uint32_t>(scaled);
  };
  // Fill each light column's gap with mass from a heavy one.
  while (!light.empty() && !heavy.empty()) {
    const uint32_t small = light.back();
    light.pop_back();
    const uint32_t large = heavy.back();
    columns_[small].threshold = threshold_of(mass[small]);
    columns_[small].alias = large;
    mass[large] -= 1.0 - mass[small];
    if (mass[large] < 1.0) {
      heavy.pop_back();
      light.push_back(large);
    }
  }
  // What is left is full up to rounding error.
  for (const uint32_t i : light) columns_[i].threshold = 0xffffffff;
  for (const uint32_t i : heavy) columns_[i].threshold = 0xffffffff;
}

}  // namespace fulcrum::balance
