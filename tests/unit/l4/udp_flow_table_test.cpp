#include "l4/udp_flow_table.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace fulcrum::l4 {
namespace udp_flow_table_test {

FlowKey key_v4(const char* ip, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, ip, &address.sin_addr);
  return FlowKey::of(reinterpret_cast<sockaddr*>(&address));
}

FlowKey key_v6(const char* ip, uint16_t port) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &address.sin6_addr);
  return FlowKey::of(reinterpret_cast<sockaddr*>(&address));
}

TEST(UdpFlowTable, KeysTellAddressPortAndFamilyApart) {
  EXPECT_EQ(key_v4("10.0.0.1", 53), key_v4("10.0.0.1", 53));
  EXPECT_FALSE(key_v4("10.0.0.1", 53) == key_v4("10.0.0.1", 54));
  EXPECT_FALSE(key_v4("10.0.0.1", 53) == key_v4("10.0.0.2", 53));
  EXPECT_FALSE(key_v6("::a00:1", 53) == key_v4("10.0.0.1", 53));
  EXPECT_EQ(key_v6("2001:db8::1", 53), key_v6("2001:db8::1", 53));
}

TEST(UdpFlowTable, FindsInsertedFlowsAndForgetsErasedOnes) {
  UdpFlowTable table(4);
  uint32_t a = table.insert(key_v4("10.0.0.1", 1000), 0);
  uint32_t b = table.insert(key_v4("10.0.0.1", 1001), 0);
  EXPECT_NE(a, b);
  EXPECT_EQ(table.find(key_v4("10.0.0.1", 1000)), a);
  EXPECT_EQ(table.find(key_v4("10.0.0.1", 1001)), b);
  EXPECT_EQ(table.find(key_v4("10.0.0.1", 1002)), UdpFlowTable::kNone);
  uint32_t generation = table.generation(a);
  table.erase(a);
  EXPECT_EQ(table.find(key_v4("10.0.0.1", 1000)), UdpFlowTable::kNone);
  EXPECT_NE(table.generation(a), generation);
  EXPECT_EQ(table.size(), 1u);
}

TEST(UdpFlowTable, OldestIsTheLeastRecentlyTouched) {
  UdpFlowTable table(3);
  uint32_t a = table.insert(key_v4("10.0.0.1", 1), 10);
  uint32_t b = table.insert(key_v4("10.0.0.1", 2), 20);
  uint32_t c = table.insert(key_v4("10.0.0.1", 3), 30);
  EXPECT_TRUE(table.full());
  EXPECT_EQ(table.oldest(), a);
  table.touch(a, 40);
  EXPECT_EQ(table.oldest(), b);
  table.touch(c, 50);
  EXPECT_EQ(table.oldest(), b);
  table.erase(b);
  EXPECT_EQ(table.oldest(), a);
  EXPECT_EQ(table.last_active_ms(a), 40);
  table.erase(a);
  EXPECT_EQ(table.oldest(), c);
  table.erase(c);
  EXPECT_EQ(table.oldest(), UdpFlowTable::kNone);
  EXPECT_EQ(table.size(), 0u);
}

TEST(UdpFlowTable, SlotsAreReusedWithinCapacity) {
  UdpFlowTable table(2);
  for (uint16_t port = 1; port < 1000; ++port) {
    if (table.full()) table.erase(table.oldest());
    uint32_t slot = table.insert(key_v4("192.0.2.1", port), port);
    EXPECT_LT(slot, 2u);
    EXPECT_EQ(table.find(key_v4("192.0.2.1", port)), slot);
  }
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.find(key_v4("192.0.2.1", 998)), table.oldest());
}

}  // namespace udp_flow_table_test
}  // namespace fulcrum::l4
