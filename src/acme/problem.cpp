#include "acme/problem.hpp"

namespace fulcrum::acme {
namespace problem_detail {

constexpr size_t kMaxQuotedBytes = 1000;

std::string string_member(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

// The CA's text made safe for one log line, cut at a UTF-8 character boundary.
std::string loggable(std::string_view text) {
  std::string result(text.substr(0, kMaxQuotedBytes));
  if (text.size() > kMaxQuotedBytes) {
    while (!result.empty() && (static_cast<unsigned char>(result.back()) & 0xC0) == 0x80) result.pop_back();
    if (!result.empty() && static_cast<unsigned char>(result.back()) >= 0xC0) result.pop_back();
    result += "...";
  }
  for (char& c : result) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return result;
}

std::string short_type(std::string_view type) {
  if (type.starts_with(kAcmeErrorPrefix)) type.remove_prefix(kAcmeErrorPrefix.size());
  return loggable(type);
}

// "<detail> (<type>)", or whichever of the two there is.
std::string detail_and_type(const std::string& detail, const std::string& type) {
  if (detail.empty()) return type.empty() ? "no detail" : short_type(type);
  return loggable(detail) + (type.empty() ? "" : " (" + short_type(type) + ")");
}

}  // namespace problem_detail

bool Problem::is_bad_nonce() const { return type == std::string(kAcmeErrorPrefix) + "badNonce"; }

bool Problem::is_rate_limited() const { return type == std::string(kAcmeErrorPrefix) + "rateLimited"; }

std::string Problem::describe() const {
  using namespace problem_detail;
  std::string text = "CA says: " + detail_and_type(detail, type);
  for (const Subproblem& sub : subproblems) {
    text += "; " + (sub.identifier.empty() ? std::string() : loggable(sub.identifier) + ": ") +
            detail_and_type(sub.detail, sub.type);
  }
  return text;
}

std::optional<Problem> problem_from_json(const nlohmann::json& value) {
  using problem_detail::string_member;
  if (!value.is_object()) return std::nullopt;
  Problem problem;
  problem.type = string_member(value, "type");
  problem.detail = string_member(value, "detail");
  if (problem.type.empty() && problem.detail.empty()) return std::nullopt;
  const auto status = value.find("status");
  if (status != value.end() && status->is_number_integer()) problem.status = status->get<int>();
  const auto subproblems = value.find("subproblems");
  if (subproblems != value.end() && subproblems->is_array()) {
    for (const nlohmann::json& entry : *subproblems) {
      if (!entry.is_object()) continue;
      Subproblem sub{string_member(entry, "type"), string_member(entry, "detail"), ""};
      const auto identifier = entry.find("identifier");
      if (identifier != entry.end() && identifier->is_object()) sub.identifier = string_member(*identifier, "value");
      problem.subproblems.push_back(std::move(sub));
    }
  }
  return problem;
}

std::optional<Problem> parse_problem(std::string_view body) {
  return problem_from_json(nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false));
}

}  // namespace fulcrum::acme
