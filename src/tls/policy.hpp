#pragma once
// A listener's `policy` as OpenSSL settings: protocol versions, TLS 1.2 cipher list, key
// exchange groups and options. After Mozilla's server-side TLS profiles (modern, intermediate,
// old), as AWS ALB's security policies are.
#include <openssl/ssl.h>

#include <string>

#include "config/config.hpp"

namespace fulcrum::tls {

// Applies `policy` to `ctx`. Returns false with `error` set when OpenSSL refuses a setting
// (a build without a required cipher or group).
bool apply_policy(SSL_CTX* ctx, config::TlsPolicy policy, std::string& error);

// The lowest protocol version a policy accepts (TLS1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION).
int min_version_of(config::TlsPolicy policy);

// OpenSSL's reason for the last error on this thread's queue, and clears the queue.
std::string last_openssl_error();

}  // namespace fulcrum::tls
