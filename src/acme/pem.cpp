#include "acme/pem.hpp"

#include <openssl/pem.h>

#include <climits>

#include "acme/openssl_error.hpp"

namespace fulcrum::acme {
namespace pem_detail {

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

// Refuses to supply a passphrase: OpenSSL then fails the read instead of prompting.
int no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace pem_detail

std::string private_key_pem(const EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl_error("cannot write a private key as PEM");
  }
  return pem_detail::bio_contents(bio.get());
}

std::string certificate_pem(const X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) throw_openssl_error("cannot write a certificate as PEM");
  return pem_detail::bio_contents(bio.get());
}

EvpPkeyPtr read_private_key_pem(std::string_view pem, std::string& error) {
  if (pem.size() > INT_MAX) {
    error = "the PEM text is too large";
    return nullptr;
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw_openssl_error("cannot read PEM");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, pem_detail::no_passphrase, nullptr));
  if (!key) {
    const std::string reason = openssl_error();
    error = pem.find("ENCRYPTED") != std::string_view::npos
                ? "the private key is encrypted; give it without a passphrase"
                : "no PEM private key could be read: " + reason;
    return nullptr;
  }
  return key;
}

}  // namespace fulcrum::acme
