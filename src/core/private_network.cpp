#include "core/private_network.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace fulcrum::core {
namespace {

struct Network {
  uint8_t prefix[16];
  uint8_t length;  // bits
};

// RFC 1918, RFC 6598, loopback, link-local.
constexpr Network kIpv4[] = {
    {{10}, 8}, {{172, 16}, 12}, {{192, 168}, 16}, {{100, 64}, 10}, {{127}, 8}, {{169, 254}, 16},
};
// RFC 4193 unique local, link-local, loopback.
constexpr Network kIpv6[] = {
    {{0xfc}, 7},
    {{0xfe, 0x80}, 10},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
};

bool within(const uint8_t* bytes, const Network& network) {
  const int whole = network.length / 8;
  if (std::memcmp(bytes, network.prefix, static_cast<size_t>(whole)) != 0) return false;
  const int rest = network.length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[whole] & mask) == (network.prefix[whole] & mask);
}

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool is_private_network(int family, const uint8_t* bytes) {
  if (family == AF_INET6 && std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0) {
    return is_private_network(AF_INET, bytes + sizeof kMappedPrefix);
  }
  if (family == AF_INET) {
    return std::any_of(std::begin(kIpv4), std::end(kIpv4), [&](const Network& n) { return within(bytes, n); });
  }
  if (family == AF_INET6) {
    return std::any_of(std::begin(kIpv6), std::end(kIpv6), [&](const Network& n) { return within(bytes, n); });
  }
  return false;
}

bool is_private_network(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return is_private_network(AF_INET, reinterpret_cast<const uint8_t*>(&v4->sin_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return is_private_network(AF_INET6, v6->sin6_addr.s6_addr);
  }
  return false;
}

bool is_unspecified(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
  }
  return false;
}

}  // namespace fulcrum::core
