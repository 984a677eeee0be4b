#include "acme/key_type.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>

namespace fulcrum::acme::key_type_test {

TEST(KeyType, NamesRoundTrip) {
  EXPECT_EQ(key_type_name(KeyType::ecdsa_p256), "ecdsa-p256");
  EXPECT_EQ(key_type_name(KeyType::rsa_2048), "rsa-2048");
  EXPECT_EQ(parse_key_type("ecdsa-p256"), KeyType::ecdsa_p256);
  EXPECT_EQ(parse_key_type("rsa-2048"), KeyType::rsa_2048);
  for (const char* other : {"", "ecdsa_p256", "RSA-2048", "rsa-4096", "ecdsa-p384"}) {
    EXPECT_EQ(parse_key_type(other), std::nullopt) << other;
  }
}

TEST(KeyType, GeneratesWhatItNames) {
  const EvpPkeyPtr ec = generate_key(KeyType::ecdsa_p256);
  ASSERT_TRUE(ec);
  EXPECT_TRUE(EVP_PKEY_is_a(ec.get(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(ec.get()), 256);
  EXPECT_EQ(key_type_of(ec.get()), KeyType::ecdsa_p256);
  const EvpPkeyPtr rsa = generate_key(KeyType::rsa_2048);
  ASSERT_TRUE(rsa);
  EXPECT_TRUE(EVP_PKEY_is_a(rsa.get(), "RSA"));
  EXPECT_EQ(EVP_PKEY_get_bits(rsa.get()), 2048);
  EXPECT_EQ(key_type_of(rsa.get()), KeyType::rsa_2048);
}

TEST(KeyType, OtherKeysHaveNoType) {
  const EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  const EvpPkeyPtr rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  const EvpPkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_EQ(key_type_of(p384.get()), std::nullopt);
  EXPECT_EQ(key_type_of(rsa1024.get()), std::nullopt);
  EXPECT_EQ(key_type_of(ed25519.get()), std::nullopt);
  EXPECT_EQ(key_type_of(nullptr), std::nullopt);
}

}  // namespace fulcrum::acme::key_type_test
