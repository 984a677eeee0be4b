#pragma once
// TLS toward the targets of a `protocol: https` or `tls` target group: one client SSL_CTX per group,
// shared by every worker, with the group's verification settings (`verify`, `ca_file`,
// `server_name`). Each connection gets an SSL naming what it must verify: `server_name` when
// set (also sent as SNI), else the target's IP address (checked against the certificate's IP
// subjectAltNames; no SNI, which carries names only).
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"
#include "tls/server_context.hpp"

namespace fulcrum::tls {

class ClientContext {
 public:
  // nullptr with `error` set when the CA file cannot be read.
  static std::shared_ptr<ClientContext> build(const config::TargetGroupConfig& group, std::string& error);
  // An SSL for a connection to the target whose address (without port) is `target_host`.
  SslPtr new_connection(std::string_view target_host) const;
  bool verifies() const { return verify_; }

 private:
  ClientContext() = default;
  SslCtxPtr ctx_;
  bool verify_ = true;
  std::string server_name_;
};

// The client contexts of a configuration's https and tls target groups, by group name.
using TargetContexts = std::unordered_map<std::string, std::shared_ptr<const ClientContext>>;

}  // namespace fulcrum::tls
