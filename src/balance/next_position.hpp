#pragma once
// The candidate after `position` in a group of `count`, wrapping to the first: how the pickers
// walk on from a candidate they cannot use.
#include <cstdint>

namespace fulcrum::balance {

inline uint32_t next_position(uint32_t position, uint32_t count) { return position + 1 == count ? 0 : position + 1; }

}  // namespace fulcrum::balance
