#include <gtest/gtest.h>

#include <bit>
#include <set>
#include <string>

#include "balance/picker.hpp"

namespace fulcrum::balance {
namespace key_hash_test {

// Pinned values: ip_hash mappings must agree across machines, builds and versions. If this test
// fails, every deployment would reshuffle its sticky clients: do not "fix" the numbers.
TEST(HashKeyBytes, IsStable) {
  EXPECT_EQ(hash_key_bytes(""), hash_key_bytes(""));
  const uint64_t empty = hash_key_bytes("");
  const uint64_t address = hash_key_bytes("10.0.0.1:8080");
  const uint64_t long_key = hash_key_bytes("session-cookie-value-0123456789abcdef");
  EXPECT_EQ(empty, 0x552957ece485b6c8ULL);
  EXPECT_EQ(address, 0x0aa4c66647564a02ULL);
  EXPECT_EQ(long_key, 0x5edc2bf8a6d6d316ULL);
}

TEST(HashKeyBytes, DistinguishesLengthAndContent) {
  std::set<uint64_t> seen;
  seen.insert(hash_key_bytes(""));
  seen.insert(hash_key_bytes(std::string_view("\0", 1)));
  seen.insert(hash_key_bytes(std::string_view("\0\0", 2)));
  seen.insert(hash_key_bytes("a"));
  seen.insert(hash_key_bytes("b"));
  seen.insert(hash_key_bytes("ab"));
  seen.insert(hash_key_bytes("ba"));
  EXPECT_EQ(seen.size(), 7u);
}

TEST(HashKeyBytes, NoCollisionsAmongAMillionAddresses) {
  std::set<uint64_t> seen;
  for (uint32_t i = 0; i < 1'000'000; ++i) {
    seen.insert(hash_key_bytes("10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
                               std::to_string(i & 255)));
  }
  EXPECT_EQ(seen.size(), 1'000'000u);
}

// Avalanche: flipping one input bit flips about half of the output bits, for every input bit
// position, across key lengths that exercise whole words and tails.
TEST(HashKeyBytes, IsWellMixed) {
  for (const size_t length : {1, 4, 8, 13, 16, 37}) {
    for (size_t bit = 0; bit < length * 8; ++bit) {
      double flipped = 0;
      const int samples = 200;
      for (int s = 0; s < samples; ++s) {
        std::string key(length, '\0');
        for (size_t i = 0; i < length; ++i) key[i] = static_cast<char>((s * 131 + i * 17 + s * i) & 0xff);
        std::string other = key;
        other[bit / 8] = static_cast<char>(other[bit / 8] ^ (1 << (bit % 8)));
        flipped += std::popcount(hash_key_bytes(key) ^ hash_key_bytes(other));
      }
      EXPECT_NEAR(flipped / samples, 32.0, 2.0) << "length " << length << " bit " << bit;
    }
  }
}

TEST(HashKeyBytes, LowAndHighBitsAreBothUniform) {
  std::vector<int> low(16, 0);
  std::vector<int> high(16, 0);
  for (uint32_t i = 0; i < 160000; ++i) {
    const uint64_t h = hash_key_bytes("192.168.1." + std::to_string(i));
    ++low[h & 15];
    ++high[h >> 60];
  }
  for (int i = 0; i < 16; ++i) {
    EXPECT_NEAR(low[i], 10000, 400);
    EXPECT_NEAR(high[i], 10000, 400);
  }
}

}  // namespace key_hash_test
}  // namespace fulcrum::balance
