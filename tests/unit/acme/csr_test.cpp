#include "acme/csr.hpp"

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "acme/base64url.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::csr_test {

struct ExtensionsFree {
  void operator()(STACK_OF(X509_EXTENSION) * extensions) const {
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

X509ReqPtr parse(const std::string& der_base64url) {
  const std::optional<std::string> der = base64url_decode(der_base64url);
  if (!der) return nullptr;
  const auto* cursor = reinterpret_cast<const unsigned char*>(der->data());
  X509ReqPtr request(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(der->size())));
  // The whole text is one request, nothing after it.
  if (cursor != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) return nullptr;
  return request;
}

std::string common_name(X509_REQ* request) {
  X509_NAME* subject = X509_REQ_get_subject_name(request);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<size_t>(ASN1_STRING_length(value)));
}

std::vector<std::string> requested_alt_names(X509_REQ* request) {
  std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionsFree> extensions(X509_REQ_get_extensions(request));
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509V3_get_d2i(extensions.get(), NID_subject_alt_name, nullptr, nullptr)));
  return names ? test_support::alt_names(names.get()) : std::vector<std::string>{};
}

TEST(Csr, HoldsEveryNameAndVerifies) {
  const std::vector<std::string> names = {"www.example.com", "example.com", "*.api.example.com"};
  for (const KeyType type : {KeyType::ecdsa_p256, KeyType::rsa_2048}) {
    const EvpPkeyPtr key = generate_certificate_key(type);
    ASSERT_EQ(key_type_of(key.get()), type);
    std::string error;
    const std::string csr = make_csr_der_base64url(key.get(), names, error);
    ASSERT_FALSE(csr.empty()) << error;
    const X509ReqPtr request = parse(csr);
    ASSERT_TRUE(request);
    EXPECT_EQ(X509_REQ_get_version(request.get()), X509_REQ_VERSION_1);
    EXPECT_EQ(common_name(request.get()), "www.example.com");
    EXPECT_EQ(requested_alt_names(request.get()),
              (std::vector<std::string>{"DNS:www.example.com", "DNS:example.com", "DNS:*.api.example.com"}));
    // Signed by the certificate key it carries, with SHA-256.
    EXPECT_EQ(EVP_PKEY_eq(X509_REQ_get0_pubkey(request.get()), key.get()), 1);
    EXPECT_EQ(X509_REQ_verify(request.get(), key.get()), 1);
    EXPECT_EQ(X509_REQ_get_signature_nid(request.get()),
              type == KeyType::ecdsa_p256 ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption);
  }
}

// A first name too long for a CN (64) leaves the subject empty; the names are all in the SAN.
TEST(Csr, LongFirstNameLeavesTheSubjectEmpty) {
  const EvpPkeyPtr key = generate_certificate_key(KeyType::ecdsa_p256);
  const std::string long_name = std::string(60, 'a') + ".example.com";
  std::string error;
  const X509ReqPtr request = parse(make_csr_der_base64url(key.get(), {long_name, "example.com"}, error));
  ASSERT_TRUE(request) << error;
  EXPECT_EQ(X509_NAME_entry_count(X509_REQ_get_subject_name(request.get())), 0);
  EXPECT_EQ(requested_alt_names(request.get()), (std::vector<std::string>{"DNS:" + long_name, "DNS:example.com"}));
  EXPECT_EQ(X509_REQ_verify(request.get(), key.get()), 1);
}

TEST(Csr, RefusesBadInput) {
  const EvpPkeyPtr key = generate_certificate_key(KeyType::ecdsa_p256);
  const std::vector<std::vector<std::string>> bad_names = {{}, {"example.com", "a.com,DNS:evil.com"}, {"1.2.3.4"}, {""}};
  for (const auto& names : bad_names) {
    std::string error;
    EXPECT_EQ(make_csr_der_base64url(key.get(), names, error), "");
    EXPECT_FALSE(error.empty());
  }
  std::string error;
  EXPECT_EQ(make_csr_der_base64url(nullptr, {"example.com"}, error), "");
  EXPECT_FALSE(error.empty());
  // A public key alone cannot sign.
  const EvpPkeyPtr public_only = test_support::key_from_jwk(test_support::ec_account_key().jwk());
  error.clear();
  EXPECT_EQ(make_csr_der_base64url(public_only.get(), {"example.com"}, error), "");
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace fulcrum::acme::csr_test
