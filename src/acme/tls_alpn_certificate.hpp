#pragma once
// The self-signed certificate that answers a TLS-ALPN-01 challenge (RFC 8737 § 3): the CA
// connects to the name on port 443 offering only the ALPN protocol "acme-tls/1", and expects a
// certificate naming exactly that name (subjectAltName dNSName) with the critical
// acmeIdentifier extension holding SHA-256 of the key authorization. Nothing else about it is
// checked, so it is made the cheapest way: a fresh ECDSA P-256 key, 7 days of validity (it
// lives as long as one validation).
#include <string>
#include <string_view>

#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme {

// id-pe-acmeIdentifier (RFC 8737 § 6.1).
inline constexpr const char* kAcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

struct TlsAlpnCertificate {
  X509Ptr certificate;
  EvpPkeyPtr key;
  // Both as PEM (pem.hpp), for whoever loads them from text.
  std::string certificate_pem() const;
  std::string key_pem() const;
};

// The challenge certificate for `name` (a host name, no wildcard: RFC 8737 § 3 does not apply
// to wildcards) and `key_authorization` (jws.hpp). Subject CN = name when it fits in 64
// characters, otherwise an empty subject with a critical subjectAltName (RFC 5280
// § 4.2.1.6). Empty pointers with `error` set when the name is not a host name.
TlsAlpnCertificate make_tls_alpn_certificate(std::string_view name, std::string_view key_authorization,
                                             std::string& error);

}  // namespace fulcrum::acme
