#include "http/exchange/head_pick_keys.hpp"

#include "http/exchange/sticky_cookie.hpp"
#include "http/h1/char_class.hpp"

namespace fulcrum::http {

std::string_view HeadPickKeys::header(std::string_view lower_case_name) const {
  for (const Header& h : head_.headers()) {
    if (equals_lower(h.name, lower_case_name)) return h.value;
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
