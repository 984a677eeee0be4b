#pragma once
// What several acme tests share: keys made once per test binary (RSA generation is slow), a
// verifier that takes JWS signatures as JOSE writes them, a key rebuilt from a JWK (so a
// signature is checked against what the CA would read rather than against our own key object),
// and the reading of subjectAltNames.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509v3.h>

#include <nlohmann/json.hpp>

#include "acme/account_key.hpp"
#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme::test_support {

const AccountKey& ec_account_key();
const AccountKey& rsa_account_key();

// The public key a JWK describes (EC P-256 or RSA), built with OSSL_PARAM_BLD and
// EVP_PKEY_fromdata; nullptr when the JWK is not one of those.
EvpPkeyPtr key_from_jwk(const nlohmann::json& jwk);

// True when `signature` is a valid JWS signature of `data` by `key`: RS256 (PKCS#1 v1.5,
// SHA-256) for RSA keys; ES256 for EC keys, taken as the 64-byte r || s and turned back into
// DER for OpenSSL.
bool jws_signature_verifies(const EVP_PKEY* key, std::string_view data, std::span<const uint8_t> signature);

std::vector<uint8_t> bytes_of(std::string_view text);

// What was written to a memory BIO.
std::string bio_text(BIO* bio);

// The entries of a subjectAltName as "DNS:name" (other kinds as "other:<type>"), in order.
std::vector<std::string> alt_names(const GENERAL_NAMES* names);

}  // namespace fulcrum::acme::test_support
