#include "acme/base64url.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace fulcrum::acme::base64url_test {

// RFC 4648 § 10, whose alphabet these strings share with base64url, minus the padding.
TEST(Base64url, Rfc4648VectorsWithoutPadding) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url(plain), encoded) << plain;
    EXPECT_EQ(base64url_decode(encoded), plain) << encoded;
  }
}

// 62 and 63 are '-' and '_', where base64 has '+' and '/'.
TEST(Base64url, UsesTheUrlAlphabet) {
  const std::vector<uint8_t> bytes = {0xfb, 0xff};
  EXPECT_EQ(base64url(bytes), "-_8");
  EXPECT_EQ(base64url(std::vector<uint8_t>{0xfb, 0xef, 0xbe}), "----");
  EXPECT_EQ(base64url(std::vector<uint8_t>{0xff, 0xff, 0xff}), "____");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64url, SpanAndStringViewAgree) {
  const std::string text("\x00\x01\x80\xfe", 4);
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  EXPECT_EQ(base64url(text), base64url(bytes));
  EXPECT_EQ(base64url(text), "AAGA_g");
}

TEST(Base64url, RoundTripsEveryLengthAndByte) {
  std::mt19937 random(4648);
  for (size_t length = 0; length <= 100; ++length) {
    std::string bytes(length, '\0');
    for (char& c : bytes) c = static_cast<char>(random() & 0xff);
    const std::string encoded = base64url(bytes);
    EXPECT_EQ(encoded.size(), (length * 4 + 2) / 3) << length;
    EXPECT_EQ(encoded.find_first_of("=+/\n"), std::string::npos);
    EXPECT_EQ(base64url_decode(encoded), bytes) << length;
  }
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  EXPECT_EQ(base64url_decode(base64url(every_byte)), every_byte);
}

TEST(Base64url, DecodeRefusesWhatIsNotCanonicalBase64url) {
  for (const std::string& bad : std::vector<std::string>{"Zg==", "Zg=", "Zm9v=", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9v\n", " Zm9v", "Z", "Zm9vY",
                                "Zh",   // 'f' is "Zg": the 4 bits after the byte must be zero
                                "Zm9",  // the 2 bits after "fo" are zero in "Zm8" only
                                "Zm\xc3\xa9", std::string("Zm\0v", 4)}) {
    EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(base64url_decode(""), "");
}

}  // namespace fulcrum::acme::base64url_test
