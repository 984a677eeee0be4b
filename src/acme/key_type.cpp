#include "acme/key_type.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <string>

#include "acme/openssl_error.hpp"

namespace fulcrum::acme {

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::ecdsa_p256:
      return "ecdsa-p256";
    case KeyType::rsa_2048:
      return "rsa-2048";
  }
  return "";
}

std::optional<KeyType> parse_key_type(std::string_view name) {
  for (const KeyType type : {KeyType::ecdsa_p256, KeyType::rsa_2048}) {
    if (key_type_name(type) == name) return type;
  }
  return std::nullopt;
}

std::optional<KeyType> key_type_of(const EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  if (EVP_PKEY_is_a(key, "EC")) {
    // A key with explicit curve parameters has no group name and is refused with the rest.
    char group[64] = {};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
      ERR_clear_error();
      return std::nullopt;
    }
    if (OBJ_txt2nid(group) == NID_X9_62_prime256v1) return KeyType::ecdsa_p256;
    return std::nullopt;
  }
  if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048) return KeyType::rsa_2048;
  return std::nullopt;
}

EvpPkeyPtr generate_key(KeyType type) {
  // EVP_PKEY_Q_keygen is variadic: the curve name for "EC", a size_t bit count for "RSA"
  // (the public exponent is OpenSSL's default, 65537).
  EVP_PKEY* key = type == KeyType::ecdsa_p256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                              : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  if (key == nullptr) throw_openssl_error("cannot generate a " + std::string(key_type_name(type)) + " key");
  return EvpPkeyPtr(key);
}

}  // namespace fulcrum::acme
