// UDP health checks: the datagram and the expected reply as escaped bytes, and their errors.
#include <gtest/gtest.h>

#include "config/escaped_bytes.hpp"
#include "load_helpers.hpp"

namespace fulcrum::config::testing {
namespace udp_health_check_test {

TEST(EscapedBytes, TurnsEscapesIntoBytes) {
  std::string error;
  EXPECT_EQ(unescape_bytes(R"(ping\x21\0\n\r\t\\\")", error), std::string("ping!\0\n\r\t\\\"", 11));
  EXPECT_EQ(unescape_bytes("plain", error), "plain");
  EXPECT_EQ(unescape_bytes(R"(\xfF)", error), std::string("\xff"));
}

TEST(EscapedBytes, RefusesWhatItCannotRead) {
  std::string error;
  EXPECT_FALSE(unescape_bytes(R"(\x4)", error));
  EXPECT_EQ(error, "'\\x' needs two hex digits (\\x00..\\xff)");
  EXPECT_FALSE(unescape_bytes(R"(\q)", error));
  EXPECT_EQ(error, "unknown escape '\\q' (use \\xHH, \\0, \\n, \\r, \\t, \\\\ or \\\")");
  EXPECT_FALSE(unescape_bytes("end\\", error));
}

TEST(UdpHealthCheck, ReadsSendAndExpect) {
  auto result = load(http_config("", "    health_check: { protocol: udp, send: '\\x00\\x01hi', expect: 'ok' }\n"));
  ASSERT_TRUE(result.config) << all_errors(result);
  const auto& check = result.config->target_groups.at(0).health_check;
  EXPECT_EQ(check.protocol, HealthProtocol::udp);
  EXPECT_EQ(check.send, std::string("\0\x01hi", 4));
  EXPECT_EQ(check.expect, "ok");
}

TEST(UdpHealthCheck, NeedsSendAndKeepsItsKeysToItself) {
  expect_error(http_config("", "    health_check: { protocol: udp }\n"), 8, 31,
               "udp health checks need send (the datagram that asks the target for a reply)");
  expect_error(http_config("", "    health_check: { protocol: tcp, expect: ok }\n"), 8, 36,
               "'expect' applies to udp health checks; this one is tcp");
  expect_error(http_config("", "    health_check: { protocol: udp, send: '\\x4' }\n"), 8, 42,
               "send: '\\x' needs two hex digits (\\x00..\\xff)");
}

}  // namespace udp_health_check_test
}  // namespace fulcrum::config::testing
