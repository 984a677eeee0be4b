#include "tls/policy.hpp"

#include <openssl/err.h>

namespace fulcrum::tls {
namespace {

// TLS 1.2 suites: forward secrecy and AEAD only (Mozilla "intermediate"). TLS 1.3 suites are
// OpenSSL's defaults (all three are good).
constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

// Mozilla "old" for clients that predate TLS 1.2 (CBC and SHA-1 suites). Security level 0:
// OpenSSL 3 refuses TLS 1.0/1.1 (SHA-1 signatures) at its default level 1.
constexpr const char* kLegacyCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:"
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:"
    "AES256-SHA256:AES128-SHA:AES256-SHA:@SECLEVEL=0";

constexpr const char* kGroups = "X25519:P-256:P-384";

}  // namespace

std::string last_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text = buffer;
  }
  ERR_clear_error();
  return text.empty() ? "unknown OpenSSL error" : text;
}

int min_version_of(config::TlsPolicy policy) {
  switch (policy) {
    case config::TlsPolicy::modern:
      return TLS1_3_VERSION;
    case config::TlsPolicy::intermediate:
      return TLS1_2_VERSION;
    case config::TlsPolicy::legacy:
      return TLS1_VERSION;
  }
  return TLS1_2_VERSION;
}

bool apply_policy(SSL_CTX* ctx, config::TlsPolicy policy, std::string& error) {
  if (SSL_CTX_set_min_proto_version(ctx, min_version_of(policy)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    error = "cannot set TLS versions: " + last_openssl_error();
    return false;
  }
  const char* ciphers = policy == config::TlsPolicy::legacy ? kLegacyCiphers : kIntermediateCiphers;
  if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
    error = "cannot set cipher list: " + last_openssl_error();
    return false;
  }
  if (SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    error = "cannot set key exchange groups: " + last_openssl_error();
    return false;
  }
  // DHE suites use a group sized to the certificate's key (RFC 7919 ffdhe).
  SSL_CTX_set_dh_auto(ctx, 1);
  // A client that closes TCP without close_notify ends its stream (HTTP framing catches truncation).
  uint64_t options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
  // Our order decides (testssl.sh rates a server without one as HIGH; old clients list weak
  // suites first), except that a client preferring ChaCha20 (no AES hardware, as many phones)
  // gets it.
  options |= SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA;
  SSL_CTX_set_options(ctx, options);
  return true;
}

}  // namespace fulcrum::tls
