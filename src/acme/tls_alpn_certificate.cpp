#include "acme/tls_alpn_certificate.hpp"

#include <openssl/x509v3.h>

#include "acme/dns_identifier.hpp"
#include "acme/key_type.hpp"
#include "acme/openssl_error.hpp"
#include "acme/pem.hpp"
#include "acme/sha256.hpp"
#include "acme/subject_alt_name.hpp"

namespace fulcrum::acme {
namespace tls_alpn_certificate_detail {

struct Asn1ObjectFree {
  void operator()(ASN1_OBJECT* object) const { ASN1_OBJECT_free(object); }
};
struct Asn1OctetStringFree {
  void operator()(ASN1_OCTET_STRING* text) const { ASN1_OCTET_STRING_free(text); }
};
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, Asn1OctetStringFree>;

constexpr long kBackdateSeconds = 3600;        // the validator's clock may be behind ours
constexpr long kValiditySeconds = 7 * 86400;   // notBefore to notAfter
constexpr size_t kMaxCommonName = 64;          // ub-common-name, RFC 5280 Appendix A

Asn1OctetStringPtr octet_string(const unsigned char* bytes, size_t size) {
  Asn1OctetStringPtr text(ASN1_OCTET_STRING_new());
  if (!text || ASN1_OCTET_STRING_set(text.get(), bytes, static_cast<int>(size)) != 1) {
    throw_openssl_error("cannot build an OCTET STRING");
  }
  return text;
}

// The acmeIdentifier extension: critical, its extnValue the DER of
// `Authorization ::= OCTET STRING (SIZE (32))` holding SHA-256(key authorization). The value is
// an OCTET STRING inside extnValue's own OCTET STRING: two layers, as for every extension.
X509ExtensionPtr acme_identifier(std::string_view key_authorization) {
  const Sha256Digest digest = sha256(key_authorization);
  const Asn1OctetStringPtr inner = octet_string(digest.data(), digest.size());
  unsigned char* der = nullptr;
  const int length = i2d_ASN1_OCTET_STRING(inner.get(), &der);
  if (length <= 0) throw_openssl_error("cannot encode the acmeIdentifier");
  const Asn1OctetStringPtr value = octet_string(der, static_cast<size_t>(length));
  OPENSSL_free(der);
  const std::unique_ptr<ASN1_OBJECT, Asn1ObjectFree> oid(OBJ_txt2obj(kAcmeIdentifierOid, /*no_name=*/1));
  if (!oid) throw_openssl_error("cannot make the acmeIdentifier OID");
  X509ExtensionPtr extension(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), /*crit=*/1, value.get()));
  if (!extension) throw_openssl_error("cannot build the acmeIdentifier extension");
  return extension;
}

}  // namespace tls_alpn_certificate_detail

std::string TlsAlpnCertificate::certificate_pem() const { return acme::certificate_pem(certificate.get()); }

std::string TlsAlpnCertificate::key_pem() const { return private_key_pem(key.get()); }

TlsAlpnCertificate make_tls_alpn_certificate(std::string_view name, std::string_view key_authorization,
                                             std::string& error) {
  using namespace tls_alpn_certificate_detail;
  if (!check_dns_identifier(name, /*allow_wildcard=*/false, error)) return {};
  TlsAlpnCertificate result;
  result.key = generate_key(KeyType::ecdsa_p256);
  result.certificate.reset(X509_new());
  X509* certificate = result.certificate.get();
  if (certificate == nullptr || X509_set_version(certificate, X509_VERSION_3) != 1) {
    throw_openssl_error("cannot make a certificate");
  }

  // A random positive serial of up to 127 bits: two challenge certificates never share one.
  const BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) == nullptr) {
    throw_openssl_error("cannot set the certificate's serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(certificate), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(certificate), kValiditySeconds - kBackdateSeconds) == nullptr) {
    throw_openssl_error("cannot set the certificate's validity");
  }
  const bool has_common_name = name.size() <= kMaxCommonName;
  X509_NAME* subject = X509_get_subject_name(certificate);
  if (has_common_name &&
      X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(name.data()), static_cast<int>(name.size()),
                                 -1, 0) != 1) {
    throw_openssl_error("cannot set the certificate's subject");
  }
  // Self-signed: the issuer is the subject.
  if (X509_set_issuer_name(certificate, subject) != 1 || X509_set_pubkey(certificate, result.key.get()) != 1) {
    throw_openssl_error("cannot set the certificate's issuer or key");
  }
  // An empty subject makes the subjectAltName the certificate's only identity: critical then.
  const X509ExtensionPtr alt_name = dns_subject_alt_name({std::string(name)}, /*critical=*/!has_common_name);
  const X509ExtensionPtr identifier = acme_identifier(key_authorization);
  if (X509_add_ext(certificate, alt_name.get(), -1) != 1 || X509_add_ext(certificate, identifier.get(), -1) != 1) {
    throw_openssl_error("cannot add the certificate's extensions");
  }
  if (X509_sign(certificate, result.key.get(), EVP_sha256()) <= 0) throw_openssl_error("cannot sign the certificate");
  return result;
}

}  // namespace fulcrum::acme
