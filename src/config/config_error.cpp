#include "config/config_error.hpp"

namespace fulcrum::config {

std::string ConfigError::format() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

}  // namespace fulcrum::config
