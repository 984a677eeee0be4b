#pragma once
// "10.0.0.1" or "2001:db8::1" as the ClientAddress the security room keys on, for tests.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "security/client_address.hpp"

namespace fulcrum::security::testing {

inline ClientAddress address(const char* text) {
  uint8_t bytes[16] = {};
  if (inet_pton(AF_INET, text, bytes) == 1) return ClientAddress::from_bytes(AF_INET, bytes);
  EXPECT_EQ(inet_pton(AF_INET6, text, bytes), 1) << text;
  return ClientAddress::from_bytes(AF_INET6, bytes);
}

}  // namespace fulcrum::security::testing
