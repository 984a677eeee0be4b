#include "l4/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fulcrum::l4 {
namespace proxy_protocol_test {

core::Endpoint endpoint(const std::string& text) {
  core::EndpointError error;
  auto parsed = core::parse_endpoint(text, error);
  EXPECT_TRUE(parsed) << error.message;
  return *parsed;
}

ProxyParse parse(const std::string& bytes, ProxyHeader& header, std::string& error) {
  return parse_proxy_header({bytes.data(), bytes.size()}, header, error);
}

TEST(ProxyProtocolWrite, V1Ipv4) {
  char out[kProxyHeaderMaxWrite];
  size_t n = write_proxy_v1(out, endpoint("192.0.2.1:56324"), endpoint("198.51.100.9:443"));
  EXPECT_EQ(std::string(out, n), "PROXY TCP4 192.0.2.1 198.51.100.9 56324 443\r\n");
}

TEST(ProxyProtocolWrite, V1Ipv6AndMixedFamilies) {
  char out[kProxyHeaderMaxWrite];
  size_t n = write_proxy_v1(out, endpoint("[2001:db8::1]:1000"), endpoint("[2001:db8::2]:443"));
  EXPECT_EQ(std::string(out, n), "PROXY TCP6 2001:db8::1 2001:db8::2 1000 443\r\n");
  n = write_proxy_v1(out, endpoint("192.0.2.1:1000"), endpoint("[2001:db8::2]:443"));
  EXPECT_EQ(std::string(out, n), "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 1000 443\r\n");
  // An IPv4 client seen through an IPv6 socket is announced as what it is.
  n = write_proxy_v1(out, endpoint("[::ffff:192.0.2.1]:1000"), endpoint("[::ffff:192.0.2.2]:443"));
  EXPECT_EQ(std::string(out, n), "PROXY TCP4 192.0.2.1 192.0.2.2 1000 443\r\n");
}

TEST(ProxyProtocolWrite, V2Ipv4Bytes) {
  char out[kProxyHeaderMaxWrite];
  size_t n = write_proxy_v2(out, endpoint("192.0.2.1:256"), endpoint("198.51.100.9:443"));
  std::string expected("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x09\x01\x00\x01\xbb", 28);
  EXPECT_EQ(std::string(out, n), expected);
}

TEST(ProxyProtocolWrite, V2Ipv6Length) {
  char out[kProxyHeaderMaxWrite];
  size_t n = write_proxy_v2(out, endpoint("[2001:db8::1]:1"), endpoint("[2001:db8::2]:2"));
  ASSERT_EQ(n, 52u);
  EXPECT_EQ(static_cast<unsigned char>(out[13]), 0x21);
  EXPECT_EQ(static_cast<unsigned char>(out[15]), 36);
}

TEST(ProxyProtocolParse, RoundTripsWhatWeWrite) {
  char out[kProxyHeaderMaxWrite];
  for (auto writer : {write_proxy_v1, write_proxy_v2}) {
    for (auto [src, dst] : {std::pair{"192.0.2.1:1234", "198.51.100.9:443"}, std::pair{"[2001:db8::1]:5", "[2001:db8::2]:6"}}) {
      size_t n = writer(out, endpoint(src), endpoint(dst));
      ProxyHeader header;
      std::string error;
      ASSERT_EQ(parse(std::string(out, n) + "payload", header, error), ProxyParse::done) << error;
      EXPECT_EQ(header.length, n);
      EXPECT_EQ(header.source->to_string(), src);
      EXPECT_EQ(header.destination->to_string(), dst);
    }
  }
}

TEST(ProxyProtocolParse, EveryPrefixOfAValidHeaderAsksForMore) {
  char out[kProxyHeaderMaxWrite];
  for (auto writer : {write_proxy_v1, write_proxy_v2}) {
    size_t n = writer(out, endpoint("192.0.2.1:1234"), endpoint("198.51.100.9:443"));
    for (size_t cut = 0; cut < n; ++cut) {
      ProxyHeader header;
      std::string error;
      EXPECT_EQ(parse(std::string(out, cut), header, error), ProxyParse::need_more) << "cut at " << cut << ": " << error;
    }
  }
}

TEST(ProxyProtocolParse, LocalAndUnknownKeepTheConnectionAddresses) {
  ProxyHeader header;
  std::string error;
  ASSERT_EQ(parse("PROXY UNKNOWN\r\n", header, error), ProxyParse::done);
  EXPECT_TRUE(header.local);
  std::string local("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16);
  ASSERT_EQ(parse(local, header, error), ProxyParse::done) << error;
  EXPECT_TRUE(header.local);
  EXPECT_EQ(header.length, 16u);
}

TEST(ProxyProtocolParse, SkipsV2Tlvs) {
  std::string bytes("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x11\xc0\x00\x02\x01\xc6\x33\x64\x09\x01\x00\x01\xbb", 28);
  bytes += std::string("\x04\x00\x02" "ab", 5);  // a NOOP TLV of 2 bytes ("\x02ab" would be one escape)
  ProxyHeader header;
  std::string error;
  ASSERT_EQ(parse(bytes + "data", header, error), ProxyParse::done) << error;
  EXPECT_EQ(header.length, 33u);
  EXPECT_EQ(header.source->to_string(), "192.0.2.1:256");
}

struct Malformed {
  const char* name;
  std::string bytes;
};

class ProxyProtocolMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(ProxyProtocolMalformed, IsRejected) {
  ProxyHeader header;
  std::string error;
  EXPECT_EQ(parse(GetParam().bytes, header, error), ProxyParse::error) << GetParam().name;
  EXPECT_FALSE(error.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ProxyProtocolMalformed,
    ::testing::Values(
        Malformed{"not_proxy", "GET / HTTP/1.1\r\n"},
        Malformed{"lowercase", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"},
        Malformed{"bad_protocol", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"},
        Malformed{"port_range", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"},
        Malformed{"leading_zero_port", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"},
        Malformed{"v6_in_tcp4", "PROXY TCP4 ::1 ::1 1 2\r\n"},
        Malformed{"double_space", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"},
        Malformed{"missing_field", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"},
        Malformed{"extra_field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"},
        Malformed{"bare_lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"},
        Malformed{"too_long", "PROXY TCP4 " + std::string(120, '1')},
        Malformed{"v2_version_1", std::string("\r\n\r\n\0\r\nQUIT\n\x11\x11\x00\x0c", 16) + std::string(12, '\0')},
        Malformed{"v2_bad_command", std::string("\r\n\r\n\0\r\nQUIT\n\x22\x11\x00\x0c", 16) + std::string(12, '\0')},
        Malformed{"v2_bad_family", std::string("\r\n\r\n\0\r\nQUIT\n\x21\x51\x00\x0c", 16) + std::string(12, '\0')},
        Malformed{"v2_too_short_for_ipv6", std::string("\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x0c", 16) + std::string(12, '\0')},
        Malformed{"v2_oversized", std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\xff\xff", 16)}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

}  // namespace proxy_protocol_test
}  // namespace fulcrum::l4
