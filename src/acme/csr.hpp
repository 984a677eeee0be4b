#pragma once
// The certificate signing request an ACME order is finalized with (RFC 8555 § 7.4): PKCS#10
// (RFC 2986) holding the certificate's public key and the names ordered, signed by the
// certificate's private key, which never leaves this machine. A certificate key is separate
// from the account key (RFC 8555 § 11.1: a CA refuses a CSR made with the account key).
#include <string>
#include <vector>

#include "acme/key_type.hpp"
#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme {

// A fresh key for a certificate (`key_type` of a certificate in the configuration): the same
// generator as account keys (key_type.hpp).
EvpPkeyPtr generate_certificate_key(KeyType type);

// The DER of a CSR for `names`, base64url-encoded (the "csr" member of a finalize request):
// subject CN = the first name, subjectAltName = every name as a dNSName in the given order,
// signed with SHA-256 by `certificate_key`. Names are host names, "*." wildcards allowed
// (dns_identifier.hpp). A first name longer than 64 characters (the CN's upper bound, RFC 5280)
// gives an empty subject: CAs take the names from the subjectAltName, and so does every client.
// Empty with `error` set when a name is invalid, there is no name, or signing fails (a key
// without its private half).
std::string make_csr_der_base64url(const EVP_PKEY* certificate_key, const std::vector<std::string>& names,
                                   std::string& error);

}  // namespace fulcrum::acme
