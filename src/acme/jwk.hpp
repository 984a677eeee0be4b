#pragma once
// JSON Web Keys (RFC 7517/7518 § 6) for the public half of an account key, and their
// thumbprint (RFC 7638), which ACME puts in every key authorization (RFC 8555 § 8.1).
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace fulcrum::acme {

// The public JWK of `key`, with only the members the thumbprint needs (a CA compares keys by
// them):
//   EC P-256: {"crv":"P-256","kty":"EC","x":..,"y":..}, x and y 32 bytes each, left-padded
//             with zeros (RFC 7518 § 6.2.1.2: the full coordinate size, always);
//   RSA:      {"e":..,"kty":"RSA","n":..}, big-endian with no leading zero byte (§ 6.3.1).
// Null for any key key_type_of() refuses.
nlohmann::json public_jwk(const EVP_PKEY* key);

// RFC 7638 § 3: base64url(SHA-256(the JWK's required members, in lexicographic order of their
// names, as JSON without whitespace)). Required members: EC crv, kty, x, y; RSA e, kty, n; OKP
// (RFC 8037) crv, kty, x. Other members are ignored. nullopt when `jwk` is not an object, its
// kty is none of these, or a required member is missing or not a string.
std::optional<std::string> thumbprint_of(const nlohmann::json& jwk);

}  // namespace fulcrum::acme
