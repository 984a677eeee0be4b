#pragma once
// The ACME account key (RFC 8555 § 6.2, § 7.3): the private key every request to the CA is
// signed with, and whose public JWK names the account. Kept on disk as PKCS#8 PEM so the same
// account is used across restarts (a new key is a new account, with its own rate limits).
//
// ES256 for ECDSA P-256, RS256 for RSA: the two algorithms RFC 8555 § 6.2 requires of servers.
// The JWK and its thumbprint are computed once, when the key is made or read.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "acme/key_type.hpp"
#include "acme/openssl_ptr.hpp"

namespace fulcrum::acme {

class AccountKey {
 public:
  // A new key. Throws std::runtime_error only when OpenSSL cannot generate keys.
  static AccountKey generate(KeyType type);
  // The key in `pem` (PKCS#8 or traditional, unencrypted), or nullopt with `error` set when it
  // holds no private key or one that is neither P-256 nor RSA of 2048 bits or more.
  static std::optional<AccountKey> from_pem(std::string_view pem, std::string& error);

  // Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
  std::string to_pem() const;
  // The public JWK (jwk.hpp: public_jwk), as the "jwk" member of a new-account request.
  const nlohmann::json& jwk() const { return jwk_; }
  // RFC 7638 thumbprint of jwk(), base64url.
  const std::string& thumbprint() const { return thumbprint_; }
  // "ES256" or "RS256".
  const char* jws_alg() const;
  // The JWS signature (RFC 7518 § 3) of `data` under jws_alg(): RS256 is RSASSA-PKCS1-v1_5
  // with SHA-256 (as many bytes as the modulus); ES256 is ECDSA P-256 with SHA-256 as the raw
  // pair r || s, 64 bytes, each left-padded to 32 (§ 3.4), not OpenSSL's DER. Throws
  // std::runtime_error only when OpenSSL fails to sign with a valid key.
  std::vector<uint8_t> sign(std::string_view data) const;

  KeyType type() const { return type_; }
  const EVP_PKEY* key() const { return key_.get(); }

 private:
  AccountKey(EvpPkeyPtr key, KeyType type);

  EvpPkeyPtr key_;
  KeyType type_;
  nlohmann::json jwk_;
  std::string thumbprint_;
};

}  // namespace fulcrum::acme
