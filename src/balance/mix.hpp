#pragma once
// Bit mixing shared by the key hash, the Maglev permutations and the per-worker random numbers.
// The constants are odd 64-bit values drawn at random for Fulcrum (balanced bit counts); what
// matters is that every output bit depends on every input bit, which the unit tests check.
#include <cstdint>

namespace fulcrum::balance {

inline constexpr uint64_t kMixMultiplierA = 0x41cc8c4c593f7849ULL;
inline constexpr uint64_t kMixMultiplierB = 0x8f4a5088f457dc91ULL;
inline constexpr uint64_t kMixMultiplierC = 0xe34c025074f7a2b7ULL;
inline constexpr uint64_t kMixMultiplierD = 0x8592f434a0baf145ULL;
// Weyl step of the per-worker generator: any odd constant visits all 2^64 states.
inline constexpr uint64_t kWeylIncrement = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio

constexpr uint64_t rotate_left(uint64_t x, unsigned bits) {
  return (x << (bits & 63)) | (x >> ((64 - bits) & 63));
}

// A bijective finaliser: xor-shift / multiply rounds so that flipping any input bit flips
// about half of the output bits.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 32;
  x *= kMixMultiplierA;
  x ^= x >> 29;
  x *= kMixMultiplierB;
  x ^= x >> 32;
  return x;
}

// Two inputs into one well-mixed value (e.g. a target key and a salt).
constexpr uint64_t mix64(uint64_t x, uint64_t salt) {
  return mix64(x ^ mix64(salt + kWeylIncrement));
}

}  // namespace fulcrum::balance
