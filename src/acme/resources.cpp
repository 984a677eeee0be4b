#include "acme/resources.hpp"

#include <nlohmann/json.hpp>

namespace fulcrum::acme {
namespace resources_detail {

std::string string_member(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

std::optional<Problem> error_member(const nlohmann::json& object) {
  const auto found = object.find("error");
  return found == object.end() ? std::nullopt : problem_from_json(*found);
}

}  // namespace resources_detail

std::optional<Order> parse_order(std::string_view body, std::string& error) {
  using namespace resources_detail;
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    error = "the order is not a JSON object";
    return std::nullopt;
  }
  Order order;
  order.status = string_member(document, "status");
  order.finalize = string_member(document, "finalize");
  order.certificate = string_member(document, "certificate");
  order.error = error_member(document);
  const auto authorizations = document.find("authorizations");
  if (authorizations != document.end() && authorizations->is_array()) {
    for (const nlohmann::json& url : *authorizations) {
      if (!url.is_string()) {
        error = "the order lists an authorization that is not a URL";
        return std::nullopt;
      }
      order.authorizations.push_back(url.get<std::string>());
    }
  }
  if (order.status.empty()) error = "the order has no status";
  else if (order.authorizations.empty()) error = "the order lists no authorizations";
  else if (order.finalize.empty()) error = "the order has no finalize URL";
  else return order;
  return std::nullopt;
}

std::optional<Authorization> parse_authorization(std::string_view body, std::string& error) {
  using namespace resources_detail;
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    error = "the authorization is not a JSON object";
    return std::nullopt;
  }
  Authorization authorization;
  authorization.status = string_member(document, "status");
  const auto identifier = document.find("identifier");
  if (identifier != document.end() && identifier->is_object()) {
    authorization.identifier = string_member(*identifier, "value");
  }
  const auto wildcard = document.find("wildcard");
  authorization.wildcard = wildcard != document.end() && wildcard->is_boolean() && wildcard->get<bool>();
  if (authorization.status.empty() || authorization.identifier.empty()) {
    error = "the authorization has no status or no identifier";
    return std::nullopt;
  }
  const auto challenges = document.find("challenges");
  if (challenges != document.end() && challenges->is_array()) {
    for (const nlohmann::json& entry : *challenges) {
      if (!entry.is_object()) continue;
      Challenge challenge{string_member(entry, "type"), string_member(entry, "url"), string_member(entry, "token"),
                          string_member(entry, "status"), error_member(entry)};
      if (challenge.type.empty() || challenge.url.empty()) {
        error = "the authorization for " + authorization.name() + " has a challenge without a type or URL";
        return std::nullopt;
      }
      authorization.challenges.push_back(std::move(challenge));
    }
  }
  return authorization;
}

}  // namespace fulcrum::acme
