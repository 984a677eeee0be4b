#pragma once
// Helpers for TLS integration tests: certificates made with the openssl command during the
// test, and openssl s_client / any program run with its output captured.
#include <string>
#include <vector>

#include "harness.hpp"

namespace fulcrum::testing {

// Runs argv (no shell) under `timeout` seconds with `input` on its stdin; stdout and stderr
// together in `out`.
CommandResult run_command(const std::vector<std::string>& argv, const std::string& input = "", int timeout_s = 15);

struct CertFiles {
  std::string cert;  // PEM: the leaf, then the chain when issued by an intermediate
  std::string key;
};

// Certificates made with `openssl` in `dir`: a root CA, an intermediate, and leaves.
class TestPki {
 public:
  explicit TestPki(const TempDir& dir);
  const std::string& root() const { return root_; }  // the CA file clients trust
  const std::string& intermediate() const { return intermediate_; }  // what issued the leaves
  // A leaf for `names` (DNS SANs; empty: CN only) signed by the intermediate; the cert file holds
  // the leaf and the intermediate. kind: "ec" or "rsa".
  CertFiles leaf(const std::string& stem, const std::string& common_name, const std::vector<std::string>& names,
                 const std::string& kind = "ec") const;
  // A self-signed leaf no CA vouches for.
  CertFiles self_signed(const std::string& stem, const std::string& common_name) const;

 private:
  const TempDir& dir_;
  std::string root_, root_key_, intermediate_, intermediate_key_;
};

// The `tls:` lines of an https listener serving a leaf for "localhost" issued by `pki`.
std::string https_listener_tls(const TestPki& pki);

// An `openssl s_server` target on a free port of 127.0.0.1 serving `cert` (with `intermediate`
// as its chain when not empty). `mode`: "-www" answers HTTP with a status page naming s_server;
// "-rev" sends each line back reversed (TCP over TLS round trips).
struct SServerTarget {
  SServerTarget(const TempDir& dir, const std::string& intermediate, const CertFiles& cert, const std::string& name,
                const std::string& mode = "-www");
  uint16_t port;
  Process process;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

// `openssl s_client` against 127.0.0.1:port with extra arguments; the request text (if any) is
// sent and the response read until the server closes.
CommandResult s_client(uint16_t port, const std::vector<std::string>& args, const std::string& request = "");

// The subject CN in s_client's output ("subject=CN = www" -> "www"); empty if none.
std::string peer_common_name(const std::string& s_client_output);

}  // namespace fulcrum::testing
