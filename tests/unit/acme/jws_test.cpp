#include "acme/jws.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "acme/base64url.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::jws_test {

using test_support::bytes_of;

nlohmann::json decoded_json(const nlohmann::json& part) {
  return nlohmann::json::parse(base64url_decode(part.get<std::string>()).value());
}

std::vector<uint8_t> decoded_bytes(const nlohmann::json& part) {
  return bytes_of(base64url_decode(part.get<std::string>()).value());
}

// The flattened serialization: exactly these three members, each a base64url string.
void expect_flattened(const nlohmann::json& jws) {
  ASSERT_TRUE(jws.is_object());
  EXPECT_EQ(jws.size(), 3u);
  for (const char* member : {"protected", "payload", "signature"}) {
    ASSERT_TRUE(jws.contains(member) && jws[member].is_string()) << member;
    EXPECT_TRUE(base64url_decode(jws[member].get<std::string>())) << member;
  }
}

// A new-account request names its key by value, and the signature verifies with the key a CA
// rebuilds from that JWK.
TEST(Jws, NewAccountRequestCarriesTheJwk) {
  for (const AccountKey* key : {&test_support::ec_account_key(), &test_support::rsa_account_key()}) {
    const nlohmann::json payload = {{"termsOfServiceAgreed", true}, {"contact", {"mailto:ops@example.com"}}};
    const nlohmann::json jws =
        sign_request(*key, "https://ca.example/acme/new-account", "nonce-1", payload, /*kid=*/"");
    expect_flattened(jws);
    const nlohmann::json header = decoded_json(jws["protected"]);
    EXPECT_EQ(header, (nlohmann::json{{"alg", key->jws_alg()},
                                      {"jwk", key->jwk()},
                                      {"nonce", "nonce-1"},
                                      {"url", "https://ca.example/acme/new-account"}}));
    EXPECT_EQ(decoded_json(jws["payload"]), payload);
    const EvpPkeyPtr public_key = test_support::key_from_jwk(header["jwk"]);
    ASSERT_TRUE(public_key);
    const std::string signing_input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
    EXPECT_TRUE(test_support::jws_signature_verifies(public_key.get(), signing_input, decoded_bytes(jws["signature"])));
    EXPECT_FALSE(test_support::jws_signature_verifies(public_key.get(), signing_input + "x",
                                                   decoded_bytes(jws["signature"])));
  }
}

TEST(Jws, LaterRequestsCarryTheKid) {
  const AccountKey& key = test_support::ec_account_key();
  const nlohmann::json jws = sign_request(key, "https://ca.example/acme/new-order", "nonce-2",
                                          nlohmann::json{{"identifiers", nlohmann::json::array()}},
                                          "https://ca.example/acme/acct/17");
  expect_flattened(jws);
  const nlohmann::json header = decoded_json(jws["protected"]);
  EXPECT_EQ(header, (nlohmann::json{{"alg", "ES256"},
                                    {"kid", "https://ca.example/acme/acct/17"},
                                    {"nonce", "nonce-2"},
                                    {"url", "https://ca.example/acme/new-order"}}));
  EXPECT_FALSE(header.contains("jwk"));
  EXPECT_TRUE(test_support::jws_signature_verifies(
      key.key(), jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>(),
      decoded_bytes(jws["signature"])));
}

// POST-as-GET (RFC 8555 § 6.3): payload "" and a signature over "<protected>.", which is not
// the same request as the payload {} ("e30").
TEST(Jws, PostAsGetHasAnEmptyPayload) {
  const AccountKey& key = test_support::rsa_account_key();
  const nlohmann::json get = sign_request(key, "https://ca.example/acme/order/1", "n3", std::nullopt, "kid-1");
  expect_flattened(get);
  EXPECT_EQ(get["payload"], "");
  EXPECT_TRUE(test_support::jws_signature_verifies(key.key(), get["protected"].get<std::string>() + ".",
                                                decoded_bytes(get["signature"])));
  const nlohmann::json empty_object =
      sign_request(key, "https://ca.example/acme/chall/1", "n4", nlohmann::json::object(), "kid-1");
  EXPECT_EQ(empty_object["payload"], "e30");
}

// RFC 8555 § 7.3.4: an HS256 JWS by the CA's MAC key over the account's JWK.
TEST(Jws, ExternalAccountBinding) {
  const AccountKey& key = test_support::ec_account_key();
  const std::vector<uint8_t> hmac_key =
      bytes_of(base64url_decode("zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W").value());
  const nlohmann::json eab = external_account_binding(key, "kid-from-the-ca", hmac_key,
                                                      "https://ca.example/acme/new-account");
  expect_flattened(eab);
  EXPECT_EQ(decoded_json(eab["protected"]),
            (nlohmann::json{{"alg", "HS256"}, {"kid", "kid-from-the-ca"}, {"url", "https://ca.example/acme/new-account"}}));
  EXPECT_EQ(decoded_json(eab["payload"]), key.jwk());
  const std::string signing_input = eab["protected"].get<std::string>() + "." + eab["payload"].get<std::string>();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  ASSERT_NE(HMAC(EVP_sha256(), hmac_key.data(), static_cast<int>(hmac_key.size()),
                 reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_length),
            nullptr);
  EXPECT_EQ(mac_length, 32u);
  EXPECT_EQ(decoded_bytes(eab["signature"]), std::vector<uint8_t>(mac, mac + mac_length));
}

TEST(Jws, KeyAuthorizationIsTokenDotThumbprint) {
  const AccountKey& key = test_support::rsa_account_key();
  EXPECT_EQ(key_authorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", key),
            "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + key.thumbprint());
}

}  // namespace fulcrum::acme::jws_test
