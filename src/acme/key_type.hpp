#pragma once
// The two kinds of key this room makes, for ACME accounts and for the certificates it orders:
// ECDSA P-256 (ES256, small and fast, what every CA accepts) and RSA 2048 (RS256, for clients
// that cannot do ECDSA). The configuration names them `ecdsa-p256` and `rsa-2048`.
#include <optional>
#include <string_view>

#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme {

enum class KeyType { ecdsa_p256, rsa_2048 };

// "ecdsa-p256" / "rsa-2048".
std::string_view key_type_name(KeyType type);
// The inverse of key_type_name; nullopt for any other text.
std::optional<KeyType> parse_key_type(std::string_view name);

// What `key` can sign as: ecdsa_p256 for an EC key on P-256 (ES256), rsa_2048 for an RSA key
// (PKCS#1, not RSA-PSS) of 2048 bits or more (RS256 alike, whatever the size), nullopt for any
// other key. Keys read from PEM go through this, so a P-384 or a 1024-bit key is refused at load.
std::optional<KeyType> key_type_of(const EVP_PKEY* key);

// A fresh private key. The one key generator of the room: account keys, certificate keys and
// the TLS-ALPN-01 challenge keys all come from here. Throws std::runtime_error only when
// OpenSSL cannot generate a key at all.
EvpPkeyPtr generate_key(KeyType type);

}  // namespace fulcrum::acme
