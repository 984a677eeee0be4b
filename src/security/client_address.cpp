#include "security/client_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "core/address_text.hpp"

namespace fulcrum::security {

ClientAddress ClientAddress::from_bytes(int family, const uint8_t* bytes) {
  ClientAddress address;
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET6 && std::memcmp(bytes, kMappedPrefix, 12) == 0) {
    address.family = AF_INET;
    std::memcpy(address.bytes, bytes + 12, 4);
  } else if (family == AF_INET6) {
    address.family = AF_INET6;
    std::memcpy(address.bytes, bytes, 16);
  } else if (family == AF_INET) {
    address.family = AF_INET;
    std::memcpy(address.bytes, bytes, 4);
  }
  return address;
}

ClientAddress ClientAddress::from(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return from_bytes(AF_INET, reinterpret_cast<const uint8_t*>(&v4->sin_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return from_bytes(AF_INET6, reinterpret_cast<const uint8_t*>(&v6->sin6_addr));
  }
  return {};
}

ClientAddress ClientAddress::counted_as(uint32_t ipv6_prefix) const {
  ClientAddress network = *this;
  if (family != AF_INET6 || ipv6_prefix >= 128) return network;
  const uint32_t whole = ipv6_prefix / 8;
  const uint32_t bits = ipv6_prefix % 8;
  if (bits != 0) network.bytes[whole] &= static_cast<uint8_t>(0xff00u >> bits);
  for (uint32_t i = whole + (bits != 0 ? 1 : 0); i < 16; ++i) network.bytes[i] = 0;
  return network;
}

std::string_view ClientAddress::text(char (&out)[46]) const {
  const std::string_view address = core::address_text(family, bytes, out);
  return address.empty() ? std::string_view("?") : address;
}

}  // namespace fulcrum::security
