#pragma once
// The ACME directory (RFC 8555 § 7.1.1): the one URL a client is configured with, answering
// with the URLs of every other resource. Clients must not build those URLs themselves: each CA
// lays them out differently.
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::acme {

struct Directory {
  std::string new_nonce;
  std::string new_account;
  std::string new_order;
  std::string revoke_cert;
  std::string key_change;
  // ACME Renewal Information (RFC 9773); empty when the CA does not offer it.
  std::string renewal_info;
  // meta.termsOfService; empty when the CA names none.
  std::string terms_of_service;
  // meta.externalAccountRequired: a newAccount without an external account binding is refused.
  bool external_account_required = false;
};

// The directory in `body`, or nullopt with `error` set when it is not a JSON object or lacks
// one of the five URLs RFC 8555 requires (all of them named in the error, so a wrong directory
// URL is recognised at once).
std::optional<Directory> parse_directory(std::string_view body, std::string& error);

}  // namespace fulcrum::acme
