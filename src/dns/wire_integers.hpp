#pragma once
// Big-endian integers as DNS messages carry them (RFC 1035 § 2.3.2), read from a position the
// caller has already checked lies within the packet. Shared by the query and response decoders.
#include <cstdint>

namespace fulcrum::dns {

inline uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t read32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace fulcrum::dns
