#include "acme/jws.hpp"

#include <openssl/evp.h>

#include "acme/base64url.hpp"
#include "acme/openssl_error.hpp"

namespace fulcrum::acme {
namespace jws_detail {

std::vector<uint8_t> hmac_sha256(std::span<const uint8_t> key, std::string_view data) {
  std::vector<uint8_t> mac(EVP_MAX_MD_SIZE);
  size_t length = 0;
  // An empty span may have no data pointer, and OpenSSL reads a null key as "no key set" and
  // fails; an empty key is useless, but refusing it is the configuration's and the CA's call.
  static const uint8_t kNoKey = 0;
  const uint8_t* key_bytes = key.empty() ? &kNoKey : key.data();
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_bytes, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                &length) == nullptr) {
    throw_openssl_error("cannot compute HMAC-SHA256");
  }
  mac.resize(length);
  return mac;
}

}  // namespace jws_detail

nlohmann::json sign_request(const AccountKey& key, std::string_view url, std::string_view nonce,
                            const std::optional<nlohmann::json>& payload, std::string_view kid) {
  nlohmann::json header = {{"alg", key.jws_alg()}, {"nonce", std::string(nonce)}, {"url", std::string(url)}};
  // Exactly one of the two (§ 6.2): the server looks the account up by kid, or, for a new
  // account, takes the key from jwk.
  if (kid.empty()) {
    header["jwk"] = key.jwk();
  } else {
    header["kid"] = std::string(kid);
  }
  const std::string protected_part = base64url(header.dump());
  const std::string payload_part = payload ? base64url(payload->dump()) : std::string();
  const std::vector<uint8_t> signature = key.sign(protected_part + "." + payload_part);
  return {{"protected", protected_part}, {"payload", payload_part}, {"signature", base64url(signature)}};
}

nlohmann::json external_account_binding(const AccountKey& account_key, std::string_view kid,
                                        std::span<const uint8_t> hmac_key, std::string_view new_account_url) {
  const nlohmann::json header = {{"alg", "HS256"}, {"kid", std::string(kid)}, {"url", std::string(new_account_url)}};
  const std::string protected_part = base64url(header.dump());
  const std::string payload_part = base64url(account_key.jwk().dump());
  const std::vector<uint8_t> mac = jws_detail::hmac_sha256(hmac_key, protected_part + "." + payload_part);
  return {{"protected", protected_part}, {"payload", payload_part}, {"signature", base64url(mac)}};
}

std::string key_authorization(std::string_view token, const AccountKey& key) {
  return std::string(token) + "." + key.thumbprint();
}

}  // namespace fulcrum::acme
