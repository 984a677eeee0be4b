#pragma once
// Reads a YAML configuration into a typed, validated Config. Every problem in the file is
// reported (not only the first), each with its line and column, in file order.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/config_error.hpp"

namespace fulcrum::config {

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // sorted by line, then column
};

// Reads and validates the file at `path`. A missing or unreadable file is one error at 1:1.
LoadResult load_config_file(const std::string& path);

// Validates YAML text; `file_name` is what the errors (and Config::source_path) name.
LoadResult load_config_text(std::string_view yaml, std::string file_name);

}  // namespace fulcrum::config
