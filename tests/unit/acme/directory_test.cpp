#include "acme/directory.hpp"

#include <gtest/gtest.h>

namespace fulcrum::acme::directory_test {

// Let's Encrypt's directory, as served.
const char* const kLetsEncrypt = R"({
  "keyChange": "https://acme-v02.api.letsencrypt.org/acme/key-change",
  "meta": {"caaIdentities": ["letsencrypt.org"], "termsOfService": "https://letsencrypt.org/documents/LE-SA-v1.5-February-24-2025.pdf",
           "website": "https://letsencrypt.org"},
  "newAccount": "https://acme-v02.api.letsencrypt.org/acme/new-acct",
  "newNonce": "https://acme-v02.api.letsencrypt.org/acme/new-nonce",
  "newOrder": "https://acme-v02.api.letsencrypt.org/acme/new-order",
  "renewalInfo": "https://acme-v02.api.letsencrypt.org/draft-ietf-acme-ari-03/renewalInfo",
  "revokeCert": "https://acme-v02.api.letsencrypt.org/acme/revoke-cert"})";

TEST(Directory, ReadsEveryUrlAndTheMeta) {
  std::string error;
  const auto directory = parse_directory(kLetsEncrypt, error);
  ASSERT_TRUE(directory) << error;
  EXPECT_EQ(directory->new_nonce, "https://acme-v02.api.letsencrypt.org/acme/new-nonce");
  EXPECT_EQ(directory->new_account, "https://acme-v02.api.letsencrypt.org/acme/new-acct");
  EXPECT_EQ(directory->new_order, "https://acme-v02.api.letsencrypt.org/acme/new-order");
  EXPECT_EQ(directory->revoke_cert, "https://acme-v02.api.letsencrypt.org/acme/revoke-cert");
  EXPECT_EQ(directory->key_change, "https://acme-v02.api.letsencrypt.org/acme/key-change");
  EXPECT_EQ(directory->renewal_info, "https://acme-v02.api.letsencrypt.org/draft-ietf-acme-ari-03/renewalInfo");
  EXPECT_EQ(directory->terms_of_service, "https://letsencrypt.org/documents/LE-SA-v1.5-February-24-2025.pdf");
  EXPECT_FALSE(directory->external_account_required);
}

TEST(Directory, RenewalInfoAndMetaAreOptional) {
  std::string error;
  const auto directory = parse_directory(
      R"({"newNonce":"n","newAccount":"a","newOrder":"o","revokeCert":"r","keyChange":"k",
          "meta":{"externalAccountRequired":true}})",
      error);
  ASSERT_TRUE(directory) << error;
  EXPECT_EQ(directory->renewal_info, "");
  EXPECT_EQ(directory->terms_of_service, "");
  EXPECT_TRUE(directory->external_account_required);
}

TEST(Directory, MissingUrlsAreNamed) {
  std::string error;
  EXPECT_FALSE(parse_directory(R"({"newNonce":"n","newAccount":"a","revokeCert":"r","keyChange":7})", error));
  EXPECT_EQ(error, "the ACME directory has no URL for newOrder, keyChange (is the directory URL right?)");
}

TEST(Directory, SomethingElseIsRefused) {
  for (const char* body : {"<html>Not Found</html>", "[]", ""}) {
    std::string error;
    EXPECT_FALSE(parse_directory(body, error)) << body;
    EXPECT_EQ(error, "the ACME directory is not a JSON object (is the directory URL right?)");
  }
}

}  // namespace fulcrum::acme::directory_test
