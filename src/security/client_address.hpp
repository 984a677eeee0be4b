#pragma once
// A client's IP address in the form the access lists and the client table compare: IPv4 as 4
// bytes, IPv6 as 16, and an IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4
// client, ::ffff:a.b.c.d) as the IPv4 address it is, so `deny: [203.0.113.0/24]` catches it.
#include <sys/socket.h>

#include <cstdint>
#include <string_view>

namespace fulcrum::security {

struct ClientAddress {
  int family = 0;  // AF_INET or AF_INET6; 0: not an IP peer (nothing matches, nothing is tracked)
  uint8_t bytes[16] = {};

  static ClientAddress from(const sockaddr* address);
  // From raw bytes (4 or 16 of them, network order).
  static ClientAddress from_bytes(int family, const uint8_t* bytes);
  int size() const { return family == AF_INET ? 4 : 16; }
  // The address with the bits past the first `ipv6_prefix` cleared when it is IPv6 (the
  // network the per-client limits count it under); an IPv4 address stays whole.
  ClientAddress counted_as(uint32_t ipv6_prefix) const;
  // "203.0.113.7" or "2001:db8::1", into `out` (46 bytes are always enough).
  std::string_view text(char (&out)[46]) const;
};

}  // namespace fulcrum::security
