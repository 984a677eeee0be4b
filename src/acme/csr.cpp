#include "acme/csr.hpp"

#include <openssl/x509v3.h>

#include "acme/base64url.hpp"
#include "acme/dns_identifier.hpp"
#include "acme/openssl_error.hpp"
#include "acme/subject_alt_name.hpp"

namespace fulcrum::acme {
namespace csr_detail {

struct ExtensionStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * extensions) const {
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  }
};

constexpr size_t kMaxCommonName = 64;  // ub-common-name, RFC 5280 Appendix A

}  // namespace csr_detail

EvpPkeyPtr generate_certificate_key(KeyType type) { return generate_key(type); }

std::string make_csr_der_base64url(const EVP_PKEY* certificate_key, const std::vector<std::string>& names,
                                   std::string& error) {
  using namespace csr_detail;
  if (certificate_key == nullptr) {
    error = "no certificate key";
    return "";
  }
  if (names.empty()) {
    error = "a certificate request needs at least one name";
    return "";
  }
  for (const std::string& name : names) {
    if (!check_dns_identifier(name, /*allow_wildcard=*/true, error)) return "";
  }

  X509ReqPtr request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1) {
    throw_openssl_error("cannot make a certificate request");
  }
  // X509_REQ_set_pubkey only encodes the public half; it takes a non-const pointer regardless.
  if (X509_REQ_set_pubkey(request.get(), const_cast<EVP_PKEY*>(certificate_key)) != 1) {
    error = "cannot put the certificate key in the request: " + openssl_error();
    return "";
  }
  const std::string& first = names.front();
  if (first.size() <= kMaxCommonName &&
      X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(request.get()), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(first.data()), static_cast<int>(first.size()),
                                 -1, 0) != 1) {
    throw_openssl_error("cannot set the request's subject");
  }
  // Extensions travel in the extensionRequest attribute (PKCS#9), which the CA copies from.
  std::unique_ptr<STACK_OF(X509_EXTENSION), ExtensionStackFree> extensions(sk_X509_EXTENSION_new_null());
  X509ExtensionPtr alt_names = dns_subject_alt_name(names, /*critical=*/false);
  if (!extensions || sk_X509_EXTENSION_push(extensions.get(), alt_names.get()) == 0) {
    throw_openssl_error("cannot add the subjectAltName");
  }
  alt_names.release();  // the stack owns it now
  if (X509_REQ_add_extensions(request.get(), extensions.get()) != 1) throw_openssl_error("cannot add the subjectAltName");

  if (X509_REQ_sign(request.get(), const_cast<EVP_PKEY*>(certificate_key), EVP_sha256()) <= 0) {
    error = "cannot sign the certificate request: " + openssl_error();
    return "";
  }
  const int length = i2d_X509_REQ(request.get(), nullptr);
  if (length <= 0) throw_openssl_error("cannot encode the certificate request");
  std::vector<uint8_t> der(static_cast<size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_X509_REQ(request.get(), &cursor) != length) throw_openssl_error("cannot encode the certificate request");
  return base64url(der);
}

}  // namespace fulcrum::acme
