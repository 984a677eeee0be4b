#pragma once
// One problem found in a configuration file, positioned so that editors and people can jump to it.
#include <string>

namespace fulcrum::config {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string message;

  // "FILE:LINE:COLUMN: message", the shape compilers use, so editors can jump to it.
  std::string format() const;
};

}  // namespace fulcrum::config
