#include "http/exchange/head_pick_keys.hpp"

#include "http/exchange/sticky_cookie.hpp"

namespace fulcrum::http {
namespace {

bool equals_lower_case(std::string_view name, std::string_view lower_case) {
  if (name.size() != lower_case.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i] >= 'A' && name[i] <= 'Z' ? static_cast<char>(name[i] - 'A' + 'a') : name[i];
    if (c != lower_case[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view HeadPickKeys::header(std::string_view lower_case_name) const {
  for (const Header& h : head_.headers()) {
    if (equals_lower_case(h.name, lower_case_name)) return h.value;
  }
  return {};
}

std::string_view HeadPickKeys::cookie(std::string_view name) const {
  // A client may split its cookies over several Cookie fields (HTTP/2 always does).
  for (const Header& h : head_.headers()) {
    if (h.id != HeaderId::cookie) continue;
    if (const std::string_view value = find_cookie(h.value, name); !value.empty()) return value;
  }
  return {};
}

}  // namespace fulcrum::http
