#include "acme/jwk.hpp"

#include <openssl/core_names.h>

#include <array>
#include <span>
#include <vector>

#include "acme/base64url.hpp"
#include "acme/key_type.hpp"
#include "acme/openssl_error.hpp"
#include "acme/sha256.hpp"

namespace fulcrum::acme {
namespace jwk_detail {

BignumPtr bignum_param(const EVP_PKEY* key, const char* name) {
  BIGNUM* value = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &value) != 1) throw_openssl_error(std::string("cannot read the key's ") + name);
  return BignumPtr(value);
}

// Exactly `size` bytes, big-endian, zeros on the left.
std::string padded(const BIGNUM* value, size_t size) {
  std::vector<uint8_t> bytes(size);
  if (BN_bn2binpad(value, bytes.data(), static_cast<int>(size)) != static_cast<int>(size)) {
    throw_openssl_error("a key component is larger than its curve");
  }
  return base64url(bytes);
}

// As few bytes as the value needs, big-endian.
std::string minimal(const BIGNUM* value) {
  std::vector<uint8_t> bytes(static_cast<size_t>(BN_num_bytes(value)));
  BN_bn2bin(value, bytes.data());
  return base64url(bytes);
}

}  // namespace jwk_detail

nlohmann::json public_jwk(const EVP_PKEY* key) {
  using namespace jwk_detail;
  const std::optional<KeyType> type = key_type_of(key);
  if (!type) return nullptr;
  if (*type == KeyType::ecdsa_p256) {
    const BignumPtr x = bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_X);
    const BignumPtr y = bignum_param(key, OSSL_PKEY_PARAM_EC_PUB_Y);
    return {{"crv", "P-256"}, {"kty", "EC"}, {"x", padded(x.get(), 32)}, {"y", padded(y.get(), 32)}};
  }
  const BignumPtr n = bignum_param(key, OSSL_PKEY_PARAM_RSA_N);
  const BignumPtr e = bignum_param(key, OSSL_PKEY_PARAM_RSA_E);
  return {{"e", minimal(e.get())}, {"kty", "RSA"}, {"n", minimal(n.get())}};
}

std::optional<std::string> thumbprint_of(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return std::nullopt;
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return std::nullopt;
  static constexpr std::array<const char*, 4> kEc = {"crv", "kty", "x", "y"};
  static constexpr std::array<const char*, 3> kRsa = {"e", "kty", "n"};
  static constexpr std::array<const char*, 3> kOkp = {"crv", "kty", "x"};
  std::span<const char* const> required;
  if (*kty == "EC") {
    required = kEc;
  } else if (*kty == "RSA") {
    required = kRsa;
  } else if (*kty == "OKP") {
    required = kOkp;
  } else {
    return std::nullopt;
  }
  // nlohmann::json keeps an object's members in a std::map, so dump() writes them sorted by
  // name (byte order, which is code point order for these ASCII names) with no whitespace:
  // exactly RFC 7638's form.
  nlohmann::json members = nlohmann::json::object();
  for (const char* name : required) {
    const auto member = jwk.find(name);
    if (member == jwk.end() || !member->is_string()) return std::nullopt;
    members[name] = *member;
  }
  return base64url(sha256(members.dump()));
}

}  // namespace fulcrum::acme
