#include "test_support.hpp"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "acme/base64url.hpp"

namespace fulcrum::acme::test_support {

const AccountKey& ec_account_key() {
  static const AccountKey key = AccountKey::generate(KeyType::ecdsa_p256);
  return key;
}

const AccountKey& rsa_account_key() {
  static const AccountKey key = AccountKey::generate(KeyType::rsa_2048);
  return key;
}

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::vector<std::string> alt_names(const GENERAL_NAMES* names) {
  std::vector<std::string> result;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS) {
      result.push_back("other:" + std::to_string(name->type));
      continue;
    }
    const ASN1_IA5STRING* text = name->d.dNSName;
    result.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                                          static_cast<size_t>(ASN1_STRING_length(text))));
  }
  return result;
}

EvpPkeyPtr key_from_jwk(const nlohmann::json& jwk) {
  struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* builder) const { OSSL_PARAM_BLD_free(builder); }
  };
  struct ParamFree {
    void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
  };
  auto member = [&](const char* name) -> std::string {
    if (!jwk.contains(name) || !jwk[name].is_string()) return "";
    return base64url_decode(jwk[name].get<std::string>()).value_or("");
  };
  auto bignum = [](const std::string& bytes) {
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()),
                               nullptr));
  };
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
  const char* type = nullptr;
  std::string point;
  BignumPtr n, e;
  if (jwk.value("kty", "") == "EC" && jwk.value("crv", "") == "P-256") {
    type = "EC";
    const std::string x = member("x"), y = member("y");
    if (x.size() != 32 || y.size() != 32) return nullptr;
    point = "\x04" + x + y;  // uncompressed point (SEC 1 § 2.3.3)
    OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
    OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  } else if (jwk.value("kty", "") == "RSA") {
    type = "RSA";
    n = bignum(member("n"));
    e = bignum(member("e"));
    OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  } else {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder.get()));
  EvpPkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(key);
}

bool jws_signature_verifies(const EVP_PKEY* key, std::string_view data, std::span<const uint8_t> signature) {
  std::vector<uint8_t> der(signature.begin(), signature.end());
  if (EVP_PKEY_is_a(key, "EC")) {
    if (signature.size() != 64) return false;
    ECDSA_SIG* pair = ECDSA_SIG_new();
    ECDSA_SIG_set0(pair, BN_bin2bn(signature.data(), 32, nullptr), BN_bin2bn(signature.data() + 32, 32, nullptr));
    unsigned char* encoded = nullptr;
    const int length = i2d_ECDSA_SIG(pair, &encoded);
    ECDSA_SIG_free(pair);
    if (length <= 0) return false;
    der.assign(encoded, encoded + length);
    OPENSSL_free(encoded);
  }
  EvpMdCtxPtr context(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(key)) != 1) return false;
  const bool valid = EVP_DigestVerify(context.get(), der.data(), der.size(),
                                      reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();  // a refused signature leaves a reason on the queue; the tests check it is empty
  return valid;
}

}  // namespace fulcrum::acme::test_support
