// hash_key_bytes: a stable 64-bit hash for ip_hash keys and target identities. Stable means the
// same bytes give the same value on every machine, compiler and Fulcrum version, so words are
// assembled little-endian by hand instead of loaded in host order.
#include "balance/mix.hpp"
#include "balance/picker.hpp"

namespace fulcrum::balance {
namespace {

constexpr uint64_t kHashSeed = 0x5f3c9a17d2e4b861ULL;

uint64_t load_little_endian(const unsigned char* bytes, size_t count) {
  uint64_t word = 0;
  for (size_t i = 0; i < count; ++i) word |= uint64_t{bytes[i]} << (8 * i);
  return word;
}

// Each word is scrambled on its own before it enters the state, so that similar keys (IPv4
// addresses differing in one octet) land far apart after a single round.
uint64_t absorb(uint64_t state, uint64_t word) {
  word *= kMixMultiplierC;
  word = rotate_left(word, 31);
  word *= kMixMultiplierD;
  state ^= word;
  return rotate_left(state, 27) * 5 + kWeylIncrement;
}

}  // namespace

uint64_t hash_key_bytes(std::string_view bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  // The length goes in first so that "a" and "a\0" differ.
  uint64_t state = kHashSeed ^ (uint64_t{size} * kMixMultiplierA);
  size_t offset = 0;
  for (; offset + 8 <= size; offset += 8) state = absorb(state, load_little_endian(data + offset, 8));
  if (offset < size) state = absorb(state, load_little_endian(data + offset, size - offset));
  return mix64(state);
}

}  // namespace fulcrum::balance
