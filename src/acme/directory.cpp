#include "acme/directory.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace fulcrum::acme {
namespace directory_detail {

// The member `name` when it is a non-empty string, else "".
std::string url_member(const nlohmann::json& object, const char* name) {
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) return "";
  return found->get<std::string>();
}

}  // namespace directory_detail

std::optional<Directory> parse_directory(std::string_view body, std::string& error) {
  using directory_detail::url_member;
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    error = "the ACME directory is not a JSON object (is the directory URL right?)";
    return std::nullopt;
  }
  Directory directory;
  const std::pair<const char*, std::string*> required[] = {
      {"newNonce", &directory.new_nonce},     {"newAccount", &directory.new_account},
      {"newOrder", &directory.new_order},     {"revokeCert", &directory.revoke_cert},
      {"keyChange", &directory.key_change},
  };
  std::string missing;
  for (const auto& [name, field] : required) {
    *field = url_member(document, name);
    if (field->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) {
    error = "the ACME directory has no URL for " + missing + " (is the directory URL right?)";
    return std::nullopt;
  }
  directory.renewal_info = url_member(document, "renewalInfo");
  const auto meta = document.find("meta");
  if (meta != document.end() && meta->is_object()) {
    directory.terms_of_service = url_member(*meta, "termsOfService");
    const auto required_binding = meta->find("externalAccountRequired");
    directory.external_account_required =
        required_binding != meta->end() && required_binding->is_boolean() && required_binding->get<bool>();
  }
  return directory;
}

}  // namespace fulcrum::acme
