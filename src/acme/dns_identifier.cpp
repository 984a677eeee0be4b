#include "acme/dns_identifier.hpp"

#include <algorithm>

namespace fulcrum::acme {
namespace dns_identifier_detail {

bool is_letter_digit_hyphen(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace dns_identifier_detail

bool check_dns_identifier(std::string_view name, bool allow_wildcard, std::string& error) {
  using namespace dns_identifier_detail;
  const std::string quoted = "\"" + std::string(name) + "\"";
  if (name.empty()) {
    error = "empty name";
    return false;
  }
  if (name.size() > 253) {
    error = "name " + quoted + " is longer than 253 characters";
    return false;
  }
  std::string_view rest = name;
  if (rest.starts_with("*.")) {
    if (!allow_wildcard) {
      error = "name " + quoted + " is a wildcard, which this validation cannot prove";
      return false;
    }
    rest.remove_prefix(2);
  }
  std::string_view label;
  while (true) {
    const size_t dot = rest.find('.');
    label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      error = "name " + quoted + " has a label that is empty or longer than 63 characters";
      return false;
    }
    if (!std::all_of(label.begin(), label.end(), is_letter_digit_hyphen) || label.front() == '-' ||
        label.back() == '-') {
      error = "name " + quoted + " is not a host name (letters, digits, inner hyphens, dots)";
      return false;
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (std::all_of(label.begin(), label.end(), is_digit)) {
    error = "name " + quoted + " ends in a numeric label (an IP address is not a DNS name)";
    return false;
  }
  return true;
}

}  // namespace fulcrum::acme
