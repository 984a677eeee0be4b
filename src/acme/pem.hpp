#pragma once
// PEM in and out of memory: the account key and the certificate keys are kept on disk as PEM,
// and the TLS-ALPN-01 certificate may be handed over as PEM. No file I/O here.
#include <string>
#include <string_view>

#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme {

// The private key as unencrypted PKCS#8 ("-----BEGIN PRIVATE KEY-----"), the one format that
// holds RSA and EC keys alike and that every tool reads.
std::string private_key_pem(const EVP_PKEY* key);

// "-----BEGIN CERTIFICATE-----".
std::string certificate_pem(const X509* certificate);

// The first private key in `pem` (PKCS#8, or the traditional "RSA PRIVATE KEY" / "EC PRIVATE
// KEY"), or nullptr with `error` set. Never asks for a passphrase: an encrypted key is refused
// (OpenSSL's default would prompt on the terminal, which a daemon must never do).
EvpPkeyPtr read_private_key_pem(std::string_view pem, std::string& error);

}  // namespace fulcrum::acme
