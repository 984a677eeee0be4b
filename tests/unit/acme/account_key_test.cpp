#include "acme/account_key.hpp"

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <random>

#include "acme/pem.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::account_key_test {

using test_support::bio_text;
using test_support::jws_signature_verifies;

std::string random_message(std::mt19937& random) {
  std::string message(random() % 300, '\0');
  for (char& c : message) c = static_cast<char>(random() & 0xff);
  return message;
}

TEST(AccountKey, NamesItsAlgorithm) {
  EXPECT_STREQ(test_support::ec_account_key().jws_alg(), "ES256");
  EXPECT_EQ(test_support::ec_account_key().type(), KeyType::ecdsa_p256);
  EXPECT_EQ(test_support::ec_account_key().jwk()["kty"], "EC");
  EXPECT_STREQ(test_support::rsa_account_key().jws_alg(), "RS256");
  EXPECT_EQ(test_support::rsa_account_key().type(), KeyType::rsa_2048);
  EXPECT_EQ(test_support::rsa_account_key().jwk()["kty"], "RSA");
  EXPECT_EQ(test_support::ec_account_key().thumbprint().size(), 43u);  // 32 bytes of SHA-256
}

TEST(AccountKey, PemRoundTrip) {
  for (const AccountKey* key : {&test_support::ec_account_key(), &test_support::rsa_account_key()}) {
    const std::string pem = key->to_pem();
    EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << pem;  // PKCS#8
    std::string error;
    const std::optional<AccountKey> loaded = AccountKey::from_pem(pem, error);
    ASSERT_TRUE(loaded) << error;
    EXPECT_EQ(loaded->type(), key->type());
    EXPECT_EQ(loaded->jwk(), key->jwk());
    EXPECT_EQ(loaded->thumbprint(), key->thumbprint());
    EXPECT_EQ(loaded->to_pem(), pem);
    // The private half came back too: what the loaded key signs, the original's public key verifies.
    EXPECT_TRUE(jws_signature_verifies(key->key(), "after a restart", loaded->sign("after a restart")));
  }
}

TEST(AccountKey, ReadsTraditionalPem) {
  const EvpPkeyPtr key = generate_key(KeyType::ecdsa_p256);
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_EQ(PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  const std::string pem = bio_text(bio.get());
  ASSERT_TRUE(pem.starts_with("-----BEGIN EC PRIVATE KEY-----")) << pem;
  std::string error;
  const std::optional<AccountKey> loaded = AccountKey::from_pem(pem, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(EVP_PKEY_eq(loaded->key(), key.get()), 1);
}

TEST(AccountKey, FromPemRefusesWhatIsNotAPrivateKey) {
  const std::string public_pem = [] {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), test_support::ec_account_key().key());
    return bio_text(bio.get());
  }();
  for (const std::string& garbage :
       std::vector<std::string>{"", "garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                                "-----BEGIN PRIVATE KEY-----\n", public_pem,
                                test_support::ec_account_key().to_pem().substr(0, 100)}) {
    std::string error;
    EXPECT_FALSE(AccountKey::from_pem(garbage, error)) << garbage;
    EXPECT_FALSE(error.empty()) << garbage;
    EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL's error queue left dirty by: " << garbage;
  }
}

// An encrypted key is refused at once: no passphrase prompt on the terminal.
TEST(AccountKey, FromPemRefusesEncryptedKeys) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const char passphrase[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), test_support::ec_account_key().key(), EVP_aes_256_cbc(), passphrase,
                                          sizeof passphrase - 1, nullptr, nullptr),
            1);
  const std::string pem = bio_text(bio.get());
  ASSERT_TRUE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")) << pem;
  std::string error;
  EXPECT_FALSE(AccountKey::from_pem(pem, error));
  EXPECT_NE(error.find("encrypted"), std::string::npos) << error;
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(AccountKey, FromPemRefusesUnsupportedKeys) {
  for (EVP_PKEY* raw : {EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"),
                        EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}),
                        EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")}) {
    const EvpPkeyPtr key(raw);
    ASSERT_TRUE(key);
    std::string error;
    EXPECT_FALSE(AccountKey::from_pem(private_key_pem(key.get()), error));
    EXPECT_NE(error.find("unsupported account key"), std::string::npos) << error;
  }
}

// ES256 (RFC 7518 § 3.4): r || s, 64 bytes, whatever the message.
TEST(AccountKey, Es256SignaturesAre64BytesAndVerify) {
  const AccountKey& key = test_support::ec_account_key();
  std::mt19937 random(7518);
  for (int i = 0; i < 200; ++i) {
    const std::string message = random_message(random);
    const std::vector<uint8_t> signature = key.sign(message);
    ASSERT_EQ(signature.size(), 64u) << i;
    EXPECT_TRUE(jws_signature_verifies(key.key(), message, signature)) << i;
  }
  const std::vector<uint8_t> signature = key.sign("message");
  EXPECT_FALSE(jws_signature_verifies(key.key(), "massage", signature));
}

// One signature in 128 has an r or an s below 2^248, which DER writes in fewer than 32 bytes:
// signs until one turns up (ECDSA signatures are randomized), so the padding is exercised in
// every run, and checks that it still verifies.
TEST(AccountKey, Es256PadsShortRAndS) {
  const AccountKey& key = test_support::ec_account_key();
  int short_values = 0;
  for (int i = 0; i < 20000 && short_values < 2; ++i) {
    const std::string message = "message " + std::to_string(i);
    const std::vector<uint8_t> signature = key.sign(message);
    ASSERT_EQ(signature.size(), 64u);
    if (signature[0] == 0 || signature[32] == 0) {
      ++short_values;
      EXPECT_TRUE(jws_signature_verifies(key.key(), message, signature)) << i;
    }
  }
  EXPECT_EQ(short_values, 2);
}

// RS256 is RSASSA-PKCS1-v1_5: deterministic (PSS would differ each time), one modulus long.
TEST(AccountKey, Rs256SignaturesVerify) {
  const AccountKey& key = test_support::rsa_account_key();
  std::mt19937 random(3447);
  for (int i = 0; i < 20; ++i) {
    const std::string message = random_message(random);
    const std::vector<uint8_t> signature = key.sign(message);
    ASSERT_EQ(signature.size(), 256u);
    EXPECT_TRUE(jws_signature_verifies(key.key(), message, signature)) << i;
    EXPECT_EQ(key.sign(message), signature);
  }
  EXPECT_FALSE(jws_signature_verifies(key.key(), "massage", key.sign("message")));
}

}  // namespace fulcrum::acme::account_key_test
