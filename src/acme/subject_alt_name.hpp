#pragma once
// The subjectAltName extension (RFC 5280 § 4.2.1.6) listing DNS names, shared by the CSR and
// the TLS-ALPN-01 certificate. Built from GENERAL_NAME values rather than OpenSSL's
// "DNS:a,DNS:b" configuration strings, so no name can smuggle in another entry.
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace fulcrum::acme {

struct X509ExtensionFree {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, X509ExtensionFree>;

// subjectAltName with one dNSName per name, in order. The names are not checked here
// (dns_identifier.hpp). Throws std::runtime_error only when OpenSSL cannot build it.
X509ExtensionPtr dns_subject_alt_name(const std::vector<std::string>& names, bool critical);

}  // namespace fulcrum::acme
