#pragma once
// Base64url (RFC 4648 § 5) without padding, the encoding of every binary value in JOSE and
// ACME (RFC 7515 § 2, RFC 8555 § 6.1): JWS parts, JWK members, the CSR, key authorizations'
// digests, the EAB key a CA hands out.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fulcrum::acme {

// Alphabet A-Z a-z 0-9 '-' '_', no '=' padding, no line breaks.
std::string base64url(std::span<const uint8_t> bytes);
std::string base64url(std::string_view bytes);

// The bytes `text` encodes, or nullopt when it is not canonical unpadded base64url: a '=' or any
// character outside the alphabet, a length of 4n+1, or non-zero bits after the last byte
// (RFC 4648 § 3.5; each value then has exactly one encoding, so a decoded value re-encodes
// to the same text).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace fulcrum::acme
