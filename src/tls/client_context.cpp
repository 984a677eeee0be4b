#include "tls/client_context.hpp"

#include <openssl/x509v3.h>

#include "tls/policy.hpp"

namespace fulcrum::tls {

std::shared_ptr<ClientContext> ClientContext::build(const config::TargetGroupConfig& group, std::string& error) {
  std::shared_ptr<ClientContext> self(new ClientContext());
  self->verify_ = group.verify;
  self->server_name_ = group.server_name;
  self->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = self->ctx_.get();
  if (ctx == nullptr) {
    error = "cannot create a TLS context: " + last_openssl_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  if (group.protocol == config::TargetProtocol::https) SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  if (group.verify) {
    const bool loaded = group.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                                              : SSL_CTX_load_verify_locations(ctx, group.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      error = (group.ca_file.empty() ? std::string("the system CA store") : "ca_file " + group.ca_file) +
              ": cannot be read: " + last_openssl_error();
      return nullptr;
    }
  }
  return self;
}

SslPtr ClientContext::new_connection(std::string_view target_host) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return ssl;
  if (!server_name_.empty()) SSL_set_tlsext_host_name(ssl.get(), server_name_.c_str());
  if (verify_) {
    SSL_set_verify(ssl.get(), SSL_VERIFY_PEER, nullptr);
    if (!server_name_.empty()) {
      SSL_set1_host(ssl.get(), server_name_.c_str());
    } else {
      const std::string host(target_host);
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), host.c_str());
    }
  } else {
    SSL_set_verify(ssl.get(), SSL_VERIFY_NONE, nullptr);
  }
  return ssl;
}

}  // namespace fulcrum::tls
