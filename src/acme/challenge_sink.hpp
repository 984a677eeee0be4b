#pragma once
// Where an order puts the answers to its challenges so the CA can fetch them: the HTTP-01
// responder (GET /.well-known/acme-challenge/<token> on port 80, RFC 8555 § 8.3) and the
// TLS-ALPN-01 responder (a certificate served for the ALPN protocol "acme-tls/1" on port 443,
// RFC 8737). Both are parts of the server; the order only tells them what to serve and when
// to stop.
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::acme {

enum class ChallengeType { http_01, tls_alpn_01 };

// "http-01" / "tls-alpn-01": the challenge "type" values of RFC 8555 § 8.3 and RFC 8737 § 3.
std::string_view challenge_type_name(ChallengeType type);
// The inverse; nullopt for types this client cannot answer (dns-01 among them).
std::optional<ChallengeType> parse_challenge_type(std::string_view name);

class ChallengeSink {
 public:
  virtual ~ChallengeSink() = default;
  // Serve `key_authorization` as the body of /.well-known/acme-challenge/`token`. The token is
  // base64url (checked before this is called), so it is a single safe path segment.
  virtual void publish_http01(const std::string& token, const std::string& key_authorization) = 0;
  virtual void withdraw_http01(const std::string& token) = 0;
  // Serve this certificate and key (PEM) to "acme-tls/1" connections whose SNI is `name`.
  virtual void publish_tls_alpn01(const std::string& name, const std::string& certificate_pem,
                                  const std::string& key_pem) = 0;
  virtual void withdraw_tls_alpn01(const std::string& name) = 0;
};

}  // namespace fulcrum::acme
