#include "acme/tls_alpn_certificate.hpp"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "acme/key_type.hpp"
#include "acme/pem.hpp"
#include "test_support.hpp"

namespace fulcrum::acme::tls_alpn_certificate_test {

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

// The certificate as a peer reads it: from its PEM.
X509Ptr reparse(const TlsAlpnCertificate& made) {
  const std::string pem = made.certificate_pem();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

const std::string kKeyAuthorization = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

TEST(TlsAlpnCertificate, CarriesTheCriticalAcmeIdentifier) {
  std::string error;
  const TlsAlpnCertificate made = make_tls_alpn_certificate("www.example.com", kKeyAuthorization, error);
  ASSERT_TRUE(made.certificate && made.key) << error;
  const X509Ptr certificate = reparse(made);
  ASSERT_TRUE(certificate);

  ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
  const int index = X509_get_ext_by_OBJ(certificate.get(), oid, -1);
  ASN1_OBJECT_free(oid);
  ASSERT_GE(index, 0);
  X509_EXTENSION* extension = X509_get_ext(certificate.get(), index);
  EXPECT_EQ(X509_EXTENSION_get_critical(extension), 1);
  // extnValue = DER of OCTET STRING (SIZE (32)): tag 0x04, length 0x20, SHA-256(key authorization).
  unsigned char digest[32];
  size_t digest_length = 0;
  ASSERT_EQ(EVP_Q_digest(nullptr, "SHA256", nullptr, kKeyAuthorization.data(), kKeyAuthorization.size(), digest,
                         &digest_length),
            1);
  std::vector<uint8_t> expected = {0x04, 0x20};
  expected.insert(expected.end(), digest, digest + digest_length);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
  EXPECT_EQ(std::vector<uint8_t>(ASN1_STRING_get0_data(value), ASN1_STRING_get0_data(value) + ASN1_STRING_length(value)),
            expected);
  EXPECT_EQ(X509_get_ext_by_OBJ(certificate.get(), X509_EXTENSION_get_object(extension), index), -1);  // only one
}

TEST(TlsAlpnCertificate, NamesExactlyTheNameAndIsSelfSigned) {
  std::string error;
  const TlsAlpnCertificate made = make_tls_alpn_certificate("www.example.com", kKeyAuthorization, error);
  const X509Ptr certificate = reparse(made);
  ASSERT_TRUE(certificate) << error;
  int critical = -1;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, &critical, nullptr)));
  ASSERT_TRUE(names);
  EXPECT_EQ(test_support::alt_names(names.get()), std::vector<std::string>{"DNS:www.example.com"});
  EXPECT_EQ(critical, 0);  // the subject CN names it too
  char common_name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate.get()), NID_commonName, common_name, sizeof common_name);
  EXPECT_STREQ(common_name, "www.example.com");

  EXPECT_EQ(X509_get_version(certificate.get()), X509_VERSION_3);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(certificate.get()), X509_get_issuer_name(certificate.get())), 0);
  EXPECT_EQ(X509_verify(certificate.get(), made.key.get()), 1);
  EXPECT_EQ(X509_get_signature_nid(certificate.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(key_type_of(X509_get0_pubkey(certificate.get())), KeyType::ecdsa_p256);

  // Valid now, for 7 days.
  int days = 0, seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(certificate.get()), X509_get0_notAfter(certificate.get())),
            1);
  EXPECT_EQ(days, 7);
  EXPECT_EQ(seconds, 0);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(certificate.get())), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(certificate.get())), 1);

  // The key's PEM goes with the certificate.
  std::string load_error;
  const EvpPkeyPtr key = read_private_key_pem(made.key_pem(), load_error);
  ASSERT_TRUE(key) << load_error;
  EXPECT_EQ(X509_check_private_key(certificate.get(), key.get()), 1);
}

// An empty subject leaves the SAN as the only identity, so it is marked critical (RFC 5280).
TEST(TlsAlpnCertificate, LongNameGetsACriticalSubjectAltName) {
  const std::string long_name = std::string(60, 'a') + ".example.com";
  std::string error;
  const TlsAlpnCertificate made = make_tls_alpn_certificate(long_name, kKeyAuthorization, error);
  const X509Ptr certificate = reparse(made);
  ASSERT_TRUE(certificate) << error;
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(certificate.get())), 0);
  int critical = -1;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, &critical, nullptr)));
  ASSERT_TRUE(names);
  EXPECT_EQ(test_support::alt_names(names.get()), std::vector<std::string>{"DNS:" + long_name});
  EXPECT_EQ(critical, 1);
}

TEST(TlsAlpnCertificate, SerialsDiffer) {
  std::string error;
  const TlsAlpnCertificate first = make_tls_alpn_certificate("example.com", kKeyAuthorization, error);
  const TlsAlpnCertificate second = make_tls_alpn_certificate("example.com", kKeyAuthorization, error);
  ASSERT_TRUE(first.certificate && second.certificate);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(first.certificate.get()),
                             X509_get0_serialNumber(second.certificate.get())),
            0);
}

TEST(TlsAlpnCertificate, RefusesWildcardsAndNonHostNames) {
  for (const char* name : {"*.example.com", "", "1.2.3.4", "a b.example.com"}) {
    std::string error;
    const TlsAlpnCertificate made = make_tls_alpn_certificate(name, kKeyAuthorization, error);
    EXPECT_FALSE(made.certificate) << name;
    EXPECT_FALSE(made.key) << name;
    EXPECT_FALSE(error.empty()) << name;
  }
}

}  // namespace fulcrum::acme::tls_alpn_certificate_test
