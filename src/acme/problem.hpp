#pragma once
// Problem documents (RFC 7807; RFC 8555 § 6.7): how a CA says why it refused a request, and why
// a challenge or an order failed (their "error" member). An operator needs the CA's own words
// (a rate limit's detail says which limit and when it lifts), so describe() quotes them.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace fulcrum::acme {

// The prefix of the error types RFC 8555 § 6.7 defines.
inline constexpr std::string_view kAcmeErrorPrefix = "urn:ietf:params:acme:error:";

struct Subproblem {
  std::string type;
  std::string detail;
  // The identifier it concerns, as its value ("www.example.com"); empty when none is given.
  std::string identifier;
};

struct Problem {
  std::string type;
  std::string detail;
  int status = 0;  // the "status" member, 0 when absent
  std::vector<Subproblem> subproblems;

  // urn:ietf:params:acme:error:badNonce: the request is fine, its nonce was not (§ 6.5).
  bool is_bad_nonce() const;
  // urn:ietf:params:acme:error:rateLimited (§ 6.6).
  bool is_rate_limited() const;
  // "CA says: <detail> (<type>)", then "; <identifier>: <detail> (<type>)" per subproblem.
  // ACME types are shortened to their last part ("rateLimited"). The CA's text is kept as
  // sent except for control characters, which become spaces (it goes into logs, where a
  // newline would forge a line), and it is cut at 1000 bytes per text.
  std::string describe() const;
};

// The problem in `body`, or nullopt when it is not a JSON object with a string "type" or
// "detail" (an HTML error page from a proxy in front of the CA, for one).
std::optional<Problem> parse_problem(std::string_view body);
// The same for a parsed value: the "error" member of a challenge or an order.
std::optional<Problem> problem_from_json(const nlohmann::json& value);

}  // namespace fulcrum::acme
