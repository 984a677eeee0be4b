#include "tls/ticket_keys.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace fulcrum::tls {
namespace ticket_keys_test {

TEST(TicketKeys, CurrentSealsPreviousStillOpensOlderNever) {
  TicketKeys keys(std::chrono::milliseconds(1000));
  const int64_t t0 = core::now_ms();
  TicketKeys::Key first = keys.for_sealing(t0);
  TicketKeys::Key opened;
  EXPECT_EQ(keys.for_opening(first.name.data(), t0 + 10, opened), TicketKeys::Found::current);
  EXPECT_EQ(opened.aes, first.aes);
  EXPECT_EQ(keys.rotations(), 0u);

  // One period later: a new key seals; the first still opens (and the ticket is renewed).
  TicketKeys::Key second = keys.for_sealing(t0 + 1100);
  EXPECT_EQ(keys.rotations(), 1u);
  EXPECT_NE(second.name, first.name);
  EXPECT_EQ(keys.for_opening(first.name.data(), t0 + 1200, opened), TicketKeys::Found::previous);
  EXPECT_EQ(keys.for_opening(second.name.data(), t0 + 1200, opened), TicketKeys::Found::current);

  // Another period: the first key is gone.
  keys.for_sealing(t0 + 2200);
  EXPECT_EQ(keys.for_opening(first.name.data(), t0 + 2300, opened), TicketKeys::Found::none);
  EXPECT_EQ(keys.for_opening(second.name.data(), t0 + 2300, opened), TicketKeys::Found::previous);
}

TEST(TicketKeys, AfterALongIdleNoOldKeyOpens) {
  TicketKeys keys(std::chrono::milliseconds(1000));
  const int64_t t0 = core::now_ms();
  TicketKeys::Key first = keys.for_sealing(t0);
  TicketKeys::Key opened;
  // Two periods pass with no ticket operation: the key that sealed at t0 is two rotations old.
  EXPECT_EQ(keys.for_opening(first.name.data(), t0 + 2500, opened), TicketKeys::Found::none);
}

TEST(TicketKeys, UnknownNamesAreNotOpened) {
  TicketKeys keys(std::chrono::milliseconds(1000));
  unsigned char name[16] = {1, 2, 3};
  TicketKeys::Key opened;
  EXPECT_EQ(keys.for_opening(name, core::now_ms(), opened), TicketKeys::Found::none);
}

}  // namespace ticket_keys_test
}  // namespace fulcrum::tls
