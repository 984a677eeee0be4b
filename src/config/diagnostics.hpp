#pragma once
// Collects every configuration error while the loader walks the file, so that one run of
// `fulcrum validate` shows them all instead of one per edit-and-retry.
#include <yaml-cpp/mark.h>

#include <string>
#include <vector>

#include "config/config_error.hpp"

namespace fulcrum::config {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // yaml-cpp marks are 0-based; unknown marks (-1) land on 1:1 rather than 0:0.
  void error(const YAML::Mark& mark, std::string message);

  std::size_t count() const { return errors_.size(); }
  const std::string& file() const { return file_; }

  // The errors in file order (stable, so two errors at one spot keep the order found).
  std::vector<ConfigError> take_sorted();

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

}  // namespace fulcrum::config
