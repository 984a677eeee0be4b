#include "acme/dns_identifier.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace fulcrum::acme::dns_identifier_test {

TEST(DnsIdentifier, AcceptsHostNames) {
  const std::string label63(63, 'a');
  std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(name253.size(), 253u);
  for (const std::string& name : std::vector<std::string>{"example.com", "a-b.example.com", "xn--bcher-kva.example",
                                                          "localhost", "A.Example.COM", "1.example.com", label63 + ".com",
                                                          name253}) {
    std::string error;
    EXPECT_TRUE(check_dns_identifier(name, false, error)) << name << ": " << error;
  }
  std::string error;
  EXPECT_TRUE(check_dns_identifier("*.example.com", /*allow_wildcard=*/true, error)) << error;
}

TEST(DnsIdentifier, RefusesTheRest) {
  for (const std::string& name : std::vector<std::string>{
           "", "*.example.com", "a..b", ".example.com", "example.com.", "-a.com", "a-.com", "a b.com",
           "a.com,DNS:evil.com", "1.2.3.4", "example.123", "a.*.com", "*", "**.example.com", "ex_ample.com",
           "b\xc3\xbc" "cher.example", std::string(64, 'a') + ".com", std::string(254, 'a'),
           std::string("a\0b.com", 7)}) {
    std::string error;
    EXPECT_FALSE(check_dns_identifier(name, false, error)) << name;
    EXPECT_FALSE(error.empty()) << name;
  }
  std::string error;
  EXPECT_FALSE(check_dns_identifier("*.", /*allow_wildcard=*/true, error));
  EXPECT_FALSE(check_dns_identifier("*.*.example.com", /*allow_wildcard=*/true, error));
}

}  // namespace fulcrum::acme::dns_identifier_test
