#pragma once
// The JWS that carry every ACME request (RFC 8555 § 6.2), in the flattened JSON serialization
// (RFC 7515 § 7.2.2) ACME requires: {"protected": .., "payload": .., "signature": ..}, each a
// base64url string, signed over "<protected>.<payload>". Also the external account binding
// (§ 7.3.4) and key authorizations (§ 8.1).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "acme/account_key.hpp"

namespace fulcrum::acme {

// A request body for `url`. Protected header {"alg", "nonce", "url"} and then "kid" (the
// account URL) when `kid` is non-empty, as every request but newAccount (and revokeCert by
// certificate key) must; otherwise "jwk" (the account's public key). Payload: the compact
// JSON of `payload`, or, when `payload` is nullopt, the empty string: a POST-as-GET (§ 6.3),
// which differs from the payload {} (an empty object sent by, e.g., a challenge response).
nlohmann::json sign_request(const AccountKey& key, std::string_view url, std::string_view nonce,
                            const std::optional<nlohmann::json>& payload, std::string_view kid);

// The "externalAccountBinding" member of a newAccount payload (§ 7.3.4), for CAs that tie the
// ACME account to an account of theirs: a JWS by the CA-issued MAC key, protected header
// {"alg":"HS256","kid":<the CA's key identifier>,"url":<the newAccount URL>} (no nonce), payload
// the account's public JWK, signature HMAC-SHA-256 under `hmac_key` (the CA gives it
// base64url-encoded: base64url_decode it first).
nlohmann::json external_account_binding(const AccountKey& account_key, std::string_view kid,
                                        std::span<const uint8_t> hmac_key, std::string_view new_account_url);

// token + "." + thumbprint of the account key (§ 8.1): what HTTP-01 serves, and what DNS-01 and
// TLS-ALPN-01 put the SHA-256 of.
std::string key_authorization(std::string_view token, const AccountKey& key);

}  // namespace fulcrum::acme
