#include "tls/server_context.hpp"

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string_view>

#include "tls/certificate_names.hpp"
#include "tls/policy.hpp"

namespace fulcrum::tls {
namespace {

constexpr unsigned char kSessionContext[] = "fulcrum";
constexpr long kSessionCacheSize = 20000;  // entries, shared by all workers (~a few hundred bytes each)

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::unique_ptr<X509, X509Free> read_leaf(const std::string& path, std::string& error) {
  std::unique_ptr<BIO, BioFree> file(BIO_new_file(path.c_str(), "r"));
  if (!file) {
    error = "certificate " + path + ": cannot open: " + last_openssl_error();
    return nullptr;
  }
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509(file.get(), nullptr, nullptr, nullptr));
  if (!leaf) error = "certificate " + path + ": no PEM certificate in it (" + last_openssl_error() + ")";
  return leaf;
}

std::unique_ptr<EVP_PKEY, KeyFree> read_key(const std::string& path, std::string& error) {
  std::unique_ptr<BIO, BioFree> file(BIO_new_file(path.c_str(), "r"));
  if (!file) {
    error = "key " + path + ": cannot open: " + last_openssl_error();
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PrivateKey(file.get(), nullptr, nullptr, nullptr));
  if (!key) error = "key " + path + ": no PEM private key in it, or it is encrypted (" + last_openssl_error() + ")";
  return key;
}

int on_server_name(SSL* ssl, int*, void* argument) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;  // no SNI: the default certificate
  SSL_CTX* chosen = static_cast<const ServerContext*>(argument)->select(name);
  if (chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

// RFC 9113 §9.2: HTTP/2 over TLS needs TLS 1.2 or later and, on TLS 1.2, an AEAD cipher with
// ephemeral key exchange (the prohibited list of its Appendix A is every other TLS 1.2 suite).
// Under `policy: legacy` a client can agree on TLS 1.0 or a CBC suite: it gets http/1.1.
bool h2_allowed(const SSL* ssl) {
  const int version = SSL_version(ssl);
  if (version >= TLS1_3_VERSION) return true;
  if (version < TLS1_2_VERSION) return false;
  const SSL_CIPHER* cipher = SSL_get_pending_cipher(ssl);
  if (cipher == nullptr) cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr || SSL_CIPHER_is_aead(cipher) != 1) return false;
  const int kx = SSL_CIPHER_get_kx_nid(cipher);
  return kx == NID_kx_ecdhe || kx == NID_kx_dhe;
}

int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
            unsigned int offered_length, void* argument) {
  const auto& ours = static_cast<const ServerContext*>(argument)->alpn_wire();
  // Our preference order, first one the client also offers (and, for h2, that §9.2 allows).
  for (size_t i = 0; i < ours.size(); i += 1 + ours[i]) {
    const std::string_view protocol(reinterpret_cast<const char*>(&ours[i + 1]), ours[i]);
    if (protocol == "h2" && !h2_allowed(ssl)) continue;
    for (unsigned int j = 0; j < offered_length; j += 1 + offered[j]) {
      if (j + 1 + offered[j] > offered_length) break;
      if (std::string_view(reinterpret_cast<const char*>(&offered[j + 1]), offered[j]) == protocol) {
        *out = &offered[j + 1];
        *out_length = offered[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN, as nginx does
}

}  // namespace

std::shared_ptr<ServerContext> ServerContext::build(const config::ListenerTls& tls, std::shared_ptr<TicketKeys> keys,
                                                    std::string& error) {
  std::shared_ptr<ServerContext> self(new ServerContext());
  self->keys_ = keys ? std::move(keys) : std::make_shared<TicketKeys>(tls.ticket_rotation);
  // ALPN: what the listener lists (the configuration reader fills in h2, http/1.1 by default).
  for (const auto& protocol : tls.alpn.empty() ? std::vector<std::string>{"http/1.1"} : tls.alpn) {
    self->alpn_wire_.push_back(static_cast<unsigned char>(protocol.size()));
    self->alpn_wire_.insert(self->alpn_wire_.end(), protocol.begin(), protocol.end());
  }
  // Per SSL_CTX: the sorted names it serves and the key types it holds.
  std::vector<std::vector<std::string>> context_names;
  std::vector<std::vector<int>> context_key_types;

  for (const auto& pair : tls.certificates) {
    auto leaf = read_leaf(pair.cert, error);
    if (!leaf) return nullptr;
    auto key = read_key(pair.key, error);
    if (!key) return nullptr;
    if (X509_check_private_key(leaf.get(), key.get()) != 1) {
      ERR_clear_error();
      error = "key " + pair.key + " does not belong to certificate " + pair.cert;
      return nullptr;
    }
    std::vector<std::string> names = certificate_names(leaf.get());
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    const int key_type = EVP_PKEY_get_base_id(key.get());

    size_t index = 0;
    while (index < self->contexts_.size() &&
           (context_names[index] != sorted ||
            std::find(context_key_types[index].begin(), context_key_types[index].end(), key_type) !=
                context_key_types[index].end())) {
      ++index;
    }
    if (index == self->contexts_.size()) {
      SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
      if (!ctx || !apply_policy(ctx.get(), tls.policy, error)) {
        if (error.empty()) error = "cannot create a TLS context: " + last_openssl_error();
        return nullptr;
      }
      // NO_AUTO_CHAIN: the chain sent is the one the cert file holds, fixed at load. Without it,
      // OpenSSL tries to complete a leaf-only chain from the context's (empty) trust store on
      // every handshake: an X509_verify_cert per connection that can never find anything.
      // No SSL_MODE_RELEASE_BUFFERS: it frees and reallocates both ~17 KiB record buffers
      // around every record (two malloc/free pairs per keep-alive request). The http session
      // frees them itself once a connection has idled (TlsConnection::release_buffers).
      SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_NO_AUTO_CHAIN);
      // One read() fetches as many records as the socket holds, not a header then a body.
      SSL_CTX_set_read_ahead(ctx.get(), 1);
      SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
      SSL_CTX_set_tlsext_servername_callback(ctx.get(), on_server_name);
      SSL_CTX_set_tlsext_servername_arg(ctx.get(), self.get());
      SSL_CTX_set_alpn_select_cb(ctx.get(), on_alpn, self.get());
      // A ticket opens for up to two rotation periods (current, then previous key): sessions live as long.
      const long lifetime_s = std::max<long>(2, static_cast<long>(2 * tls.ticket_rotation.count() / 1000));
      SSL_CTX_set_timeout(ctx.get(), lifetime_s);
      SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_AUTO_CLEAR);
      SSL_CTX_sess_set_cache_size(ctx.get(), kSessionCacheSize);
      TicketKeys::install(ctx.get(), self->keys_);
      // One TLS 1.3 ticket per handshake, not OpenSSL's two: each costs an encode, a decode and a
      // re-encode of the session, an AES-CBC seal, an HMAC and a record (one more send) on
      // every full handshake, and a client resuming serially needs one (each resumption brings
      // a fresh one). HAProxy and nginx send two.
      SSL_CTX_set_num_tickets(ctx.get(), 1);
      self->contexts_.push_back(std::move(ctx));
      context_names.push_back(sorted);
      context_key_types.emplace_back();
    }
    SSL_CTX* ctx = self->contexts_[index].get();
    if (SSL_CTX_use_certificate_chain_file(ctx, pair.cert.c_str()) != 1) {
      error = "certificate " + pair.cert + ": " + last_openssl_error();
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      error = "key " + pair.key + ": " + last_openssl_error();
      return nullptr;
    }
    context_key_types[index].push_back(key_type);
    ++self->certificate_count_;
    for (const auto& name : names) {
      // The first certificate that names a host serves it.
      if (auto suffix = wildcard_suffix(name); !suffix.empty()) {
        self->wildcard_.try_emplace(std::string(suffix), index);
      } else {
        self->exact_.try_emplace(name, index);
      }
      if (std::find(self->names_.begin(), self->names_.end(), name) == self->names_.end()) self->names_.push_back(name);
    }
  }
  if (self->contexts_.empty()) {
    error = "no certificates";
    return nullptr;
  }
  return self;
}

void ServerContext::flush_expired_sessions() const {
  // The session cache lives on the default SSL_CTX (SNI switches contexts after it is chosen).
  SSL_CTX_flush_sessions(contexts_.front().get(), static_cast<long>(std::time(nullptr)));
}

SslPtr ServerContext::new_connection() const { return SslPtr(SSL_new(contexts_.front().get())); }

SSL_CTX* ServerContext::select(std::string_view server_name) const {
  char lowered[256];
  if (server_name.size() >= sizeof lowered) return contexts_.front().get();
  for (size_t i = 0; i < server_name.size(); ++i) {
    const char c = server_name[i];
    lowered[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
  std::string_view name(lowered, server_name.size());
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // "example.com." is example.com
  if (auto it = exact_.find(name); it != exact_.end()) return contexts_[it->second].get();
  if (const size_t dot = name.find('.'); dot != std::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) return contexts_[it->second].get();
  }
  return contexts_.front().get();
}

}  // namespace fulcrum::tls
