#pragma once
// FastRandom: the per-worker generator behind random_two_choices, slow-start admission and
// key-less ip_hash. A Weyl sequence passed through mix64: one add and a few multiplies, no
// shared state, never a lock. Statistical quality is ample for balancing; it is not crypto.
#include <cstdint>

#include "balance/mix.hpp"

namespace fulcrum::balance {

class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(mix64(seed, 0x7a11ce5eedULL)) {}

  uint64_t next() {
    state_ += kWeylIncrement;
    return mix64(state_);
  }

  // Uniform in [0, bound) by multiply-shift; the bias is below 2^-32 per draw.
  uint32_t below(uint32_t bound) {
    return static_cast<uint32_t>(((next() >> 32) * bound) >> 32);
  }

  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

}  // namespace fulcrum::balance
