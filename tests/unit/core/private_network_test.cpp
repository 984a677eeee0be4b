// Which client addresses an internal listener serves: the private networks of RFC 1918, 4193
// and 6598, loopback and link-local; everything else (and the edges just outside each range)
// is public. IPv4-mapped IPv6 is judged as the IPv4 address it carries.
#include "core/private_network.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace fulcrum::core {
namespace private_network_test {

bool is_private(const char* text) {
  uint8_t bytes[16] = {};
  if (inet_pton(AF_INET, text, bytes) == 1) return is_private_network(AF_INET, bytes);
  EXPECT_EQ(inet_pton(AF_INET6, text, bytes), 1) << text;
  return is_private_network(AF_INET6, bytes);
}

TEST(PrivateNetwork, TheRangesAnInternalListenerServes) {
  for (const char* inside : {"10.0.0.0", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.0.1",
                             "192.168.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.0.9",
                             "169.254.1.1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "::1",
                             "::ffff:10.1.2.3", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_private(inside)) << inside;
  }
}

TEST(PrivateNetwork, TheEdgesJustOutsideArePublic) {
  for (const char* outside : {"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
                              "192.169.0.0", "100.63.255.255", "100.128.0.0", "169.253.255.255", "169.255.0.0",
                              "203.0.113.9", "8.8.8.8", "0.0.0.0", "fbff::1", "fec0::1", "2001:db8::1", "::",
                              "::2", "::ffff:8.8.8.8", "64:ff9b::a00:1"}) {
    EXPECT_FALSE(is_private(outside)) << outside;
  }
}

TEST(PrivateNetwork, SocketAddressesAndTheUnspecifiedAddress) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "192.168.1.10", &v4.sin_addr);
  EXPECT_TRUE(is_private_network(reinterpret_cast<const sockaddr*>(&v4)));
  EXPECT_FALSE(is_unspecified(reinterpret_cast<const sockaddr*>(&v4)));
  v4.sin_addr.s_addr = htonl(INADDR_ANY);
  EXPECT_TRUE(is_unspecified(reinterpret_cast<const sockaddr*>(&v4)));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  EXPECT_TRUE(is_unspecified(reinterpret_cast<const sockaddr*>(&v6)));
  EXPECT_FALSE(is_private_network(reinterpret_cast<const sockaddr*>(&v6)));
  sockaddr unix_like{};
  unix_like.sa_family = AF_UNIX;
  EXPECT_FALSE(is_private_network(&unix_like));
}

}  // namespace private_network_test
}  // namespace fulcrum::core
