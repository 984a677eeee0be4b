#include "security/client_table.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fulcrum::security {
namespace client_table_test {

ClientAddress v4(uint32_t host_order) {
  uint32_t net = htonl(host_order);
  return ClientAddress::from_bytes(AF_INET, reinterpret_cast<const uint8_t*>(&net));
}

constexpr int64_t kSecond = 1000000000;

TEST(ClientTable, CountsOpenConnectionsUpToTheMaximum) {
  ClientTable table(10);
  const uint64_t key = table.key(1, v4(0x7f000002));
  std::vector<int32_t> slots;
  for (int i = 0; i < 3; ++i) {
    auto a = table.admit(key, 3, {}, kSecond);
    ASSERT_EQ(a.verdict, ClientTable::Verdict::admitted);
    slots.push_back(a.slot);
  }
  EXPECT_EQ(table.admit(key, 3, {}, kSecond).verdict, ClientTable::Verdict::too_many_connections);
  // Another client and another listener are counted apart.
  EXPECT_EQ(table.admit(table.key(1, v4(0x7f000003)), 3, {}, kSecond).verdict, ClientTable::Verdict::admitted);
  EXPECT_EQ(table.admit(table.key(2, v4(0x7f000002)), 3, {}, kSecond).verdict, ClientTable::Verdict::admitted);
  table.release(slots.back());
  EXPECT_EQ(table.admit(key, 3, {}, kSecond).verdict, ClientTable::Verdict::admitted);
  EXPECT_EQ(table.open_connections(slots.front()), 3u);
}

TEST(ClientTable, ConnectionRateIsATokenBucketWithBurst) {
  ClientTable table(10);
  const uint64_t key = table.key(1, v4(0x0a000001));
  const RateShape rate = RateShape::per_second(10, 5);  // 10/s, 5 at once
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    auto a = table.admit(key, 0, rate, kSecond);
    if (a.verdict == ClientTable::Verdict::admitted) {
      ++admitted;
      table.release(a.slot);
    } else {
      EXPECT_EQ(a.verdict, ClientTable::Verdict::too_fast);
      EXPECT_GT(a.wait_ns, 0);
      EXPECT_LE(a.wait_ns, kSecond / 10);
    }
  }
  EXPECT_EQ(admitted, 5);
  // 300 ms later three tokens are back.
  admitted = 0;
  for (int i = 0; i < 10; ++i) {
    auto a = table.admit(key, 0, rate, kSecond + 3 * kSecond / 10);
    if (a.verdict == ClientTable::Verdict::admitted) {
      ++admitted;
      table.release(a.slot);
    }
  }
  EXPECT_EQ(admitted, 3);
}

TEST(ClientTable, RequestBucketRefusesBeyondBurstAndSaysHowLongToWait) {
  ClientTable table(10);
  auto a = table.admit(table.key(1, v4(0x0a000002)), 0, {}, kSecond);
  ASSERT_EQ(a.verdict, ClientTable::Verdict::admitted);
  const RateShape rate = RateShape::per_second(2, 3);
  int64_t wait = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(table.take_request(a.slot, rate, kSecond, wait));
  EXPECT_FALSE(table.take_request(a.slot, rate, kSecond, wait));
  EXPECT_EQ(wait, kSecond / 2);
  EXPECT_TRUE(table.take_request(a.slot, rate, kSecond + kSecond / 2, wait));
}

TEST(ClientTable, MemoryStaysFixedUnderAFloodOfDistinctAddressesAndIdleSlotsAreReused) {
  ClientTable table(12);  // 4,096 slots
  const size_t bytes = table.memory_bytes();
  EXPECT_EQ(bytes, 4096u * 32);
  int untracked = 0;
  for (uint32_t i = 0; i < 200000; ++i) {
    auto a = table.admit(table.key(1, v4(0x0a000000 + i)), 1, {}, kSecond + i);
    if (a.verdict == ClientTable::Verdict::admitted) table.release(a.slot);
    else ++untracked;
  }
  EXPECT_EQ(untracked, 0);  // idle slots are always taken over
  EXPECT_GE(table.evictions(), 200000u - 4096u);
  EXPECT_EQ(table.memory_bytes(), bytes);
  // A client holding a connection keeps its slot and its count through the flood.
  const uint64_t held_key = table.key(1, v4(0x7f000001));
  auto held = table.admit(held_key, 1, {}, 2 * kSecond);
  ASSERT_EQ(held.verdict, ClientTable::Verdict::admitted);
  for (uint32_t i = 0; i < 200000; ++i) {
    auto a = table.admit(table.key(1, v4(0x0b000000 + i)), 1, {}, 3 * kSecond + i);
    if (a.verdict == ClientTable::Verdict::admitted) table.release(a.slot);
  }
  EXPECT_EQ(table.admit(held_key, 1, {}, 4 * kSecond).verdict, ClientTable::Verdict::too_many_connections);
}

TEST(ClientTable, AGroupFullOfOpenConnectionsLeavesNewClientsUntrackedNotRefused) {
  ClientTable table(3);  // one group of 8 slots
  for (uint32_t i = 0; i < 8; ++i) {
    ASSERT_EQ(table.admit(table.key(1, v4(i + 1)), 1, {}, kSecond).verdict, ClientTable::Verdict::admitted);
  }
  EXPECT_EQ(table.admit(table.key(1, v4(100)), 1, {}, kSecond).verdict, ClientTable::Verdict::untracked);
}

TEST(ClientTable, TwoThreadsNeverAdmitMoreThanTheMaximum) {
  ClientTable table(10);
  const uint64_t key = table.key(1, v4(0x7f000009));
  std::atomic<int> admitted{0};
  auto run = [&] {
    for (int i = 0; i < 1000; ++i) {
      if (table.admit(key, 50, {}, kSecond).verdict == ClientTable::Verdict::admitted) admitted++;
    }
  };
  std::thread a(run), b(run);
  a.join();
  b.join();
  EXPECT_EQ(admitted.load(), 50);
}

}  // namespace client_table_test
}  // namespace fulcrum::security
