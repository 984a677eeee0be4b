#pragma once
// The ACME resources an order walks through (RFC 8555 § 7.1.3, § 7.1.4, § 8): the order, its
// authorizations (one per name) and their challenges, read from the CA's JSON with only the
// members the client acts on.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "acme/problem.hpp"

namespace fulcrum::acme {

struct Challenge {
  std::string type;    // "http-01", "tls-alpn-01", "dns-01", ...
  std::string url;     // where the client POSTs {} to say "validate now"
  std::string token;   // empty for types without one
  std::string status;  // "pending", "processing", "valid", "invalid"
  std::optional<Problem> error;
};

struct Authorization {
  std::string identifier;  // the name, without "*." for a wildcard (§ 7.1.4)
  bool wildcard = false;
  std::string status;  // "pending", "valid", "invalid", "deactivated", "expired", "revoked"
  std::vector<Challenge> challenges;

  // The name as ordered: "*." + identifier for a wildcard.
  std::string name() const { return wildcard ? "*." + identifier : identifier; }
};

struct Order {
  std::string status;  // "pending", "ready", "processing", "valid", "invalid"
  std::vector<std::string> authorizations;
  std::string finalize;
  std::string certificate;  // once valid
  std::optional<Problem> error;
};

// nullopt with `error` set when `body` is not an object of the kind or lacks a member the
// client needs (status, the authorization and finalize URLs; a challenge's type and URL).
std::optional<Order> parse_order(std::string_view body, std::string& error);
std::optional<Authorization> parse_authorization(std::string_view body, std::string& error);

}  // namespace fulcrum::acme
