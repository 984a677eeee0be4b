#pragma once
// Self-signed certificates made in memory for the unit tests (OpenSSL API, no files needed
// beyond the PEMs written to a temporary directory).
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

namespace fulcrum::tls::testing {

struct TestCertificate {
  std::string cert_path;
  std::string key_path;
};

enum class KeyKind { rsa, ecdsa };

// A certificate with subject CN `common_name` and DNS subjectAltNames `names` (none: CN only),
// written as PEM files into `dir` under `stem`.pem / `stem`.key.
TestCertificate make_certificate(const std::string& dir, const std::string& stem, const std::string& common_name,
                                 const std::vector<std::string>& names, KeyKind kind = KeyKind::ecdsa);

// A fresh directory under /tmp (removed by the caller's TempDir-like guard).
std::string make_temp_dir();
void remove_dir(const std::string& dir);

}  // namespace fulcrum::tls::testing
