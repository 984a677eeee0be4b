// address_text against inet_ntop: every IPv4 octet value in every position, and IPv6.
#include "core/address_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fulcrum::core {
namespace address_text_test {

std::string reference(int family, const uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN];
  return ::inet_ntop(family, bytes, text, sizeof text);
}

TEST(AddressText, EveryIpv4OctetInEveryPositionMatchesInetNtop) {
  char out[INET6_ADDRSTRLEN];
  for (int position = 0; position < 4; ++position) {
    for (int value = 0; value < 256; ++value) {
      uint8_t bytes[4] = {127, 0, 0, 1};
      bytes[position] = static_cast<uint8_t>(value);
      ASSERT_EQ(address_text(AF_INET, bytes, out), reference(AF_INET, bytes)) << position << " " << value;
    }
  }
  const uint8_t widest[4] = {255, 255, 255, 255};
  EXPECT_EQ(address_text(AF_INET, widest, out), "255.255.255.255");
}

TEST(AddressText, Ipv6GoesThroughInetNtopAndAnUnknownFamilyIsEmpty) {
  char out[INET6_ADDRSTRLEN];
  uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1;
  EXPECT_EQ(address_text(AF_INET6, v6, out), "2001:db8::1");
  EXPECT_EQ(address_text(AF_UNIX, v6, out), "");
}

}  // namespace address_text_test
}  // namespace fulcrum::core
