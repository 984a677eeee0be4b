#include "acme/sha256.hpp"

#include <openssl/evp.h>

#include "acme/openssl_error.hpp"

namespace fulcrum::acme {

Sha256Digest sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    throw_openssl_error("cannot compute SHA-256");
  }
  return digest;
}

}  // namespace fulcrum::acme
