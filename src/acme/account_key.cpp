#include "acme/account_key.hpp"

#include <openssl/ec.h>

#include <memory>

#include "acme/jwk.hpp"
#include "acme/openssl_error.hpp"
#include "acme/pem.hpp"

namespace fulcrum::acme {
namespace account_key_detail {

struct EcdsaSigFree {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

// OpenSSL gives ECDSA signatures as DER (SEQUENCE { INTEGER r, INTEGER s }), whose integers
// take as few bytes as their value needs (plus a 0x00 when the top bit is set). JWS wants the
// fixed-width concatenation: a short r or s must be padded on the left, or a verifier reads
// the wrong numbers about one signature in 128.
std::vector<uint8_t> der_to_raw_p256(const std::vector<uint8_t>& der) {
  const unsigned char* cursor = der.data();
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!signature) throw_openssl_error("cannot read OpenSSL's ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::vector<uint8_t> raw(64);
  if (BN_bn2binpad(r, raw.data(), 32) != 32 || BN_bn2binpad(s, raw.data() + 32, 32) != 32) {
    throw_openssl_error("an ECDSA P-256 signature value does not fit in 32 bytes");
  }
  return raw;
}

}  // namespace account_key_detail

AccountKey::AccountKey(EvpPkeyPtr key, KeyType type)
    : key_(std::move(key)), type_(type), jwk_(public_jwk(key_.get())), thumbprint_(*thumbprint_of(jwk_)) {}

AccountKey AccountKey::generate(KeyType type) { return AccountKey(generate_key(type), type); }

std::optional<AccountKey> AccountKey::from_pem(std::string_view pem, std::string& error) {
  EvpPkeyPtr key = read_private_key_pem(pem, error);
  if (!key) return std::nullopt;
  const std::optional<KeyType> type = key_type_of(key.get());
  if (!type) {
    const char* name = EVP_PKEY_get0_type_name(key.get());
    error = std::string("unsupported account key (") + (name != nullptr ? name : "unknown type") + ", " +
            std::to_string(EVP_PKEY_get_bits(key.get())) +
            " bits): ACME account keys must be ECDSA P-256 or RSA of 2048 bits or more";
    return std::nullopt;
  }
  return AccountKey(std::move(key), *type);
}

std::string AccountKey::to_pem() const { return private_key_pem(key_.get()); }

const char* AccountKey::jws_alg() const { return type_ == KeyType::ecdsa_p256 ? "ES256" : "RS256"; }

std::vector<uint8_t> AccountKey::sign(std::string_view data) const {
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  // RSA keys default to PKCS#1 v1.5 padding, which is what RS256 is.
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    throw_openssl_error("cannot start a signature");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t length = 0;
  if (EVP_DigestSign(context.get(), nullptr, &length, bytes, data.size()) != 1) throw_openssl_error("cannot sign");
  std::vector<uint8_t> signature(length);
  if (EVP_DigestSign(context.get(), signature.data(), &length, bytes, data.size()) != 1) throw_openssl_error("cannot sign");
  signature.resize(length);
  if (type_ == KeyType::ecdsa_p256) return account_key_detail::der_to_raw_p256(signature);
  return signature;
}

}  // namespace fulcrum::acme
