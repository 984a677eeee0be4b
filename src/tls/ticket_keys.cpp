#include "tls/ticket_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "core/clock.hpp"

namespace fulcrum::tls {
namespace {

TicketKeys::Key random_key() {
  TicketKeys::Key key;
  RAND_bytes(key.name.data(), static_cast<int>(key.name.size()));
  RAND_bytes(key.aes.data(), static_cast<int>(key.aes.size()));
  RAND_bytes(key.hmac.data(), static_cast<int>(key.hmac.size()));
  return key;
}

int keys_index() {
  // The SSL_CTX holds a heap-allocated shared_ptr in its ex_data; freed with the SSL_CTX.
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* pointer, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::shared_ptr<TicketKeys>*>(pointer);
      });
  return index;
}

// Fetched once: passing EVP_aes_256_cbc() makes OpenSSL 3 look the cipher up on every ticket.
const EVP_CIPHER* ticket_cipher() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher;
}

bool set_mac_key(EVP_MAC_CTX* mac, const TicketKeys::Key& key) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's ticket callback (SSL_CTX_set_tlsext_ticket_key_evp_cb): seal with the current key,
// open with the current (1) or previous (2: renew) key, or 0: not ours, do a full handshake.
int ticket_callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                    int seal) {
  auto* holder = static_cast<std::shared_ptr<TicketKeys>*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), keys_index()));
  if (holder == nullptr) return -1;
  TicketKeys& keys = **holder;
  const int64_t now = core::now_ms();
  TicketKeys::Key key;
  if (seal) {
    key = keys.for_sealing(now);
    if (RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, ticket_cipher(), nullptr, key.aes.data(), iv) != 1) return -1;
    return set_mac_key(mac, key) ? 1 : -1;
  }
  const TicketKeys::Found found = keys.for_opening(name, now, key);
  if (found == TicketKeys::Found::none) return 0;
  if (!set_mac_key(mac, key)) return -1;
  if (EVP_DecryptInit_ex(cipher, ticket_cipher(), nullptr, key.aes.data(), iv) != 1) return -1;
  // TLS 1.3: always 2, so that a resumed handshake brings a fresh ticket. Clients use each
  // TLS 1.3 ticket once (RFC 8446 C.4; OpenSSL's client does): answered 1, OpenSSL sends none,
  // and such a client can resume only every other connection, with a full handshake (certificate
  // parse and signature check on its side) in between. TLS 1.2 tickets can be reused: renewed only
  // when opened with the previous key.
  if (SSL_version(ssl) == TLS1_3_VERSION) return 2;
  return found == TicketKeys::Found::current ? 1 : 2;
}

}  // namespace

TicketKeys::TicketKeys(std::chrono::milliseconds rotation) : rotation_(rotation) {
  current_ = random_key();
  next_rotation_ms_ = core::now_ms() + rotation_.count();
}

void TicketKeys::rotate_if_due(int64_t now_ms) {
  if (now_ms < next_rotation_ms_) return;
  // Idle for more than one period: the previous key is too old to keep as well.
  const bool skipped = now_ms >= next_rotation_ms_ + rotation_.count();
  previous_ = current_;
  has_previous_ = !skipped;
  current_ = random_key();
  next_rotation_ms_ = now_ms + rotation_.count();
  ++rotations_;
}

TicketKeys::Key TicketKeys::for_sealing(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now_ms);
  return current_;
}

TicketKeys::Found TicketKeys::for_opening(const unsigned char* name, int64_t now_ms, Key& out) {
  std::lock_guard lock(mutex_);
  rotate_if_due(now_ms);
  if (std::memcmp(name, current_.name.data(), current_.name.size()) == 0) {
    out = current_;
    return Found::current;
  }
  if (has_previous_ && std::memcmp(name, previous_.name.data(), previous_.name.size()) == 0) {
    out = previous_;
    return Found::previous;
  }
  return Found::none;
}

uint64_t TicketKeys::rotations() const {
  std::lock_guard lock(mutex_);
  return rotations_;
}

void TicketKeys::install(SSL_CTX* ctx, std::shared_ptr<TicketKeys> keys) {
  const int index = keys_index();
  delete static_cast<std::shared_ptr<TicketKeys>*>(SSL_CTX_get_ex_data(ctx, index));
  SSL_CTX_set_ex_data(ctx, index, new std::shared_ptr<TicketKeys>(std::move(keys)));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_callback);
}

}  // namespace fulcrum::tls
