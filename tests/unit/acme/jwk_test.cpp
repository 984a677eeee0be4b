#include "acme/jwk.hpp"

#include <gtest/gtest.h>

#include "acme/base64url.hpp"
#include "acme/key_type.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::jwk_test {

// RFC 7638 § 3.1.
const std::string kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
    "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbI"
    "SD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
const std::string kRfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

TEST(Jwk, Rfc7638ExampleThumbprint) {
  // As printed in the RFC, with the optional members that must not count.
  const nlohmann::json jwk = {{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}, {"alg", "RS256"}, {"kid", "2011-04-29"}};
  EXPECT_EQ(thumbprint_of(jwk), kRfc7638Thumbprint);
}

// The same key as an OpenSSL key: our JWK of it is the RFC's, byte for byte.
TEST(Jwk, Rfc7638ExampleFromTheKey) {
  const EvpPkeyPtr key = test_support::key_from_jwk({{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}});
  ASSERT_TRUE(key);
  const nlohmann::json jwk = public_jwk(key.get());
  EXPECT_EQ(jwk, (nlohmann::json{{"e", "AQAB"}, {"kty", "RSA"}, {"n", kRfc7638N}}));
  EXPECT_EQ(thumbprint_of(jwk), kRfc7638Thumbprint);
}

TEST(Jwk, ThumbprintRefusesIncompleteKeys) {
  EXPECT_EQ(thumbprint_of(nlohmann::json::array()), std::nullopt);
  EXPECT_EQ(thumbprint_of({{"kty", "RSA"}, {"e", "AQAB"}}), std::nullopt);
  EXPECT_EQ(thumbprint_of({{"kty", "RSA"}, {"e", 65537}, {"n", kRfc7638N}}), std::nullopt);
  EXPECT_EQ(thumbprint_of({{"kty", "EC"}, {"crv", "P-256"}, {"x", "AA"}}), std::nullopt);
  EXPECT_EQ(thumbprint_of({{"kty", "oct"}, {"k", "AA"}}), std::nullopt);
  EXPECT_EQ(thumbprint_of({{"n", kRfc7638N}, {"e", "AQAB"}}), std::nullopt);
}

// x and y always take 32 bytes, even when the coordinate is below 2^248 (one key in 128):
// keys are made until one has a short coordinate, so the padding is exercised every run.
TEST(Jwk, EcCoordinatesAreAlways32Bytes) {
  bool short_coordinate_seen = false;
  for (int attempt = 0; attempt < 20000 && !short_coordinate_seen; ++attempt) {
    const EvpPkeyPtr key = generate_key(KeyType::ecdsa_p256);
    const nlohmann::json jwk = public_jwk(key.get());
    ASSERT_EQ(jwk.size(), 4u);
    EXPECT_EQ(jwk["kty"], "EC");
    EXPECT_EQ(jwk["crv"], "P-256");
    const std::string x = base64url_decode(jwk["x"].get<std::string>()).value();
    const std::string y = base64url_decode(jwk["y"].get<std::string>()).value();
    ASSERT_EQ(x.size(), 32u);
    ASSERT_EQ(y.size(), 32u);
    if (x[0] == 0 || y[0] == 0) {
      short_coordinate_seen = true;
      // What a CA rebuilds from it is our key.
      const EvpPkeyPtr rebuilt = test_support::key_from_jwk(jwk);
      ASSERT_TRUE(rebuilt);
      EXPECT_EQ(EVP_PKEY_eq(rebuilt.get(), key.get()), 1);
    }
  }
  EXPECT_TRUE(short_coordinate_seen);
}

TEST(Jwk, RsaMembersAreMinimalBigEndian) {
  const nlohmann::json& jwk = test_support::rsa_account_key().jwk();
  ASSERT_EQ(jwk.size(), 3u);
  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["e"], "AQAB");  // 65537
  const std::string n = base64url_decode(jwk["n"].get<std::string>()).value();
  EXPECT_EQ(n.size(), 256u);  // a 2048-bit modulus has its top bit set: no leading zero byte
  EXPECT_NE(n[0], 0);
  const EvpPkeyPtr rebuilt = test_support::key_from_jwk(jwk);
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(EVP_PKEY_eq(rebuilt.get(), test_support::rsa_account_key().key()), 1);
}

TEST(Jwk, UnsupportedKeysHaveNone) {
  const EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_TRUE(public_jwk(p384.get()).is_null());
}

}  // namespace fulcrum::acme::jwk_test
