#include "security/access_list.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "client_address_text.hpp"

namespace fulcrum::security {
namespace access_list_test {

using testing::address;

TEST(AccessList, EmptyAllowsEveryone) {
  AccessList list;
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(list.allows(address("203.0.113.7")));
}

TEST(AccessList, DenyOnlyRefusesItsNetworksAndAllowsTheRest) {
  AccessList list({}, {"203.0.113.0/24", "2001:db8::/32"});
  EXPECT_FALSE(list.allows(address("203.0.113.7")));
  EXPECT_TRUE(list.allows(address("203.0.114.7")));
  EXPECT_FALSE(list.allows(address("2001:db8::1")));
  EXPECT_TRUE(list.allows(address("2001:db9::1")));
}

TEST(AccessList, AllowOnlyRefusesAddressesOutsideIt) {
  AccessList list({"10.0.0.0/8"}, {});
  EXPECT_TRUE(list.allows(address("10.1.2.3")));
  EXPECT_FALSE(list.allows(address("11.1.2.3")));
  EXPECT_FALSE(list.allows(address("::1")));
  EXPECT_EQ(list.deciding_network(address("11.1.2.3")), "not in allow");
}

TEST(AccessList, LongestPrefixWinsEitherWay) {
  AccessList list({"0.0.0.0/0", "203.0.113.128/25"}, {"203.0.113.0/24"});
  EXPECT_TRUE(list.allows(address("198.51.100.1")));    // only /0 matches
  EXPECT_FALSE(list.allows(address("203.0.113.5")));    // /24 deny beats /0 allow
  EXPECT_TRUE(list.allows(address("203.0.113.200")));   // /25 allow beats /24 deny
  EXPECT_EQ(list.deciding_network(address("203.0.113.5")), "deny 203.0.113.0/24");
}

TEST(AccessList, DenyBeatsAllowAtEqualLength) {
  AccessList list({"192.0.2.0/24"}, {"192.0.2.0/24"});
  EXPECT_FALSE(list.allows(address("192.0.2.1")));
}

TEST(AccessList, NonOctetPrefixLengths) {
  AccessList list({}, {"172.16.0.0/12", "2001:db8:8000::/33"});
  EXPECT_FALSE(list.allows(address("172.31.255.255")));
  EXPECT_TRUE(list.allows(address("172.32.0.0")));
  EXPECT_FALSE(list.allows(address("2001:db8:8000::1")));
  EXPECT_TRUE(list.allows(address("2001:db8:7fff::1")));
}

TEST(AccessList, IPv4MappedIPv6ClientsMatchIPv4Networks) {
  AccessList list({}, {"203.0.113.0/24"});
  EXPECT_FALSE(list.allows(address("::ffff:203.0.113.9")));
  EXPECT_TRUE(list.allows(address("::ffff:198.51.100.9")));
}

TEST(AccessList, HostAddressesAreSlash32AndSlash128) {
  AccessList list({"127.0.0.0/8"}, {"127.0.0.9", "::1"});
  EXPECT_FALSE(list.allows(address("127.0.0.9")));
  EXPECT_TRUE(list.allows(address("127.0.0.10")));
  EXPECT_FALSE(list.allows(address("::1")));
}

}  // namespace access_list_test
}  // namespace fulcrum::security
