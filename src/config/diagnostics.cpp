#include "config/diagnostics.hpp"

#include <algorithm>

namespace fulcrum::config {

void Diagnostics::error(const YAML::Mark& mark, std::string message) {
  ConfigError error;
  error.file = file_;
  error.line = mark.line >= 0 ? mark.line + 1 : 1;
  error.column = mark.column >= 0 ? mark.column + 1 : 1;
  error.message = std::move(message);
  errors_.push_back(std::move(error));
}

std::vector<ConfigError> Diagnostics::take_sorted() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return std::move(errors_);
}

}  // namespace fulcrum::config
