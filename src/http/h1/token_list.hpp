#pragma once
// Comma-separated field values (#token lists such as Connection, Upgrade, TE): visit each
// non-empty element with its surrounding whitespace removed. Views only; no allocation.
#include <string_view>

#include "http/h1/char_class.hpp"

namespace fulcrum::http {

template <class Visit>
constexpr void for_each_list_element(std::string_view value, Visit&& visit) {
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view element = trim_ows(value.substr(pos, comma - pos));
    if (!element.empty()) visit(element);
    pos = comma + 1;
  }
}

// True when the list holds `lower_token` (compared case-insensitively, parameters ignored).
constexpr bool list_contains(std::string_view value, std::string_view lower_token) {
  bool found = false;
  for_each_list_element(value, [&](std::string_view element) {
    const size_t semi = element.find(';');
    if (equals_lower(trim_ows(element.substr(0, semi)), lower_token)) found = true;
  });
  return found;
}

}  // namespace fulcrum::http
