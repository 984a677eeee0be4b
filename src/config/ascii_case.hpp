#pragma once
// ASCII case folding for keys and names read from the configuration (the C locale's, whatever
// the process locale is), so that "Round_Robin" and "round_robin" read alike.
#include <string>
#include <string_view>

namespace fulcrum::config {

constexpr char lower_case(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = lower_case(c);
  return out;
}

}  // namespace fulcrum::config
