#include "http/exchange/sticky_cookie.hpp"

#include <gtest/gtest.h>

namespace fulcrum::http {
namespace sticky_cookie_test {

TEST(StickyCookie, IssuedValuesVerifyUntilTheyExpire) {
  StickyCookie signer("0123456789abcdef-secret");
  char value[StickyCookie::kMaxValue];
  std::string_view cookie(value, signer.issue("web", 0x1234abcd5678ef00ULL, 2000, value));
  EXPECT_EQ(signer.verify("web", cookie, 1999), 0x1234abcd5678ef00ULL);
  EXPECT_FALSE(signer.verify("web", cookie, 2000));       // expired
  EXPECT_FALSE(signer.verify("api", cookie, 1000));       // another group's cookie
  EXPECT_FALSE(StickyCookie("another secret 123").verify("web", cookie, 1000));
  for (size_t i = 0; i < cookie.size(); ++i) {
    std::string tampered(cookie);
    tampered[i] = tampered[i] == '1' ? '2' : '1';
    EXPECT_FALSE(signer.verify("web", tampered, 1000)) << "byte " << i;
  }
  EXPECT_FALSE(signer.verify("web", "", 0));
  EXPECT_FALSE(signer.verify("web", "garbage.1.x", 0));
}

TEST(StickyCookie, FindsACookieAmongOthers) {
  EXPECT_EQ(find_cookie("a=1; FULCRUM=xyz; b=2", "FULCRUM"), "xyz");
  EXPECT_EQ(find_cookie("XFULCRUM=1;FULCRUM=2", "FULCRUM"), "2");
  EXPECT_EQ(find_cookie("a=1", "FULCRUM"), "");
}

}  // namespace sticky_cookie_test
}  // namespace fulcrum::http
