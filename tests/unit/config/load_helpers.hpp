#pragma once
// Shared helpers for the configuration tests: load YAML text and show errors readably.
#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.hpp"

namespace fulcrum::config::testing {

inline LoadResult load(const std::string& yaml) { return load_config_text(yaml, "test.yaml"); }

inline std::string all_errors(const LoadResult& result) {
  std::string text;
  for (const auto& error : result.errors) text += error.format() + "\n";
  return text;
}

// The file must load without errors; its configuration (an empty one after a failure, which
// the test has already reported).
inline Config load_ok(const std::string& yaml) {
  LoadResult result = load(yaml);
  EXPECT_TRUE(result.config && result.errors.empty()) << all_errors(result);
  return result.config ? std::move(*result.config) : Config{};
}

// An http listener in front of one group `web`, whose last line is `group_key` unfinished: the
// test appends the value. Its line is 8, its value at column 4 + the key's length.
inline std::string http_group_ending_in(const std::string& group_key) {
  return "listeners:\n  - name: web\n    listen: 127.0.0.1:8080\n    protocol: http\n    default: { forward: web }\n"
         "target_groups:\n  - name: web\n    " +
         group_key + ": ";
}

// The file must produce exactly this one error, at this place, with this message.
inline void expect_error(const std::string& yaml, int line, int column, const std::string& message) {
  LoadResult result = load(yaml);
  ASSERT_EQ(result.errors.size(), 1u) << all_errors(result);
  EXPECT_FALSE(result.config.has_value());
  const ConfigError& error = result.errors.front();
  EXPECT_EQ(error.file, "test.yaml");
  EXPECT_EQ(error.line, line) << error.format();
  EXPECT_EQ(error.column, column) << error.format();
  EXPECT_EQ(error.message, message);
}

// A valid configuration that tests extend: an http listener and one target group.
inline std::string http_config(const std::string& listener_extra = "", const std::string& group_extra = "") {
  return "listeners:\n"
         "  - name: web\n"
         "    listen: 127.0.0.1:8080\n"
         "    protocol: http\n" +
         listener_extra +
         "    default: { forward: web }\n"
         "target_groups:\n"
         "  - name: web\n" +
         group_extra + "    targets: [ { address: 127.0.0.1:9001 } ]\n";
}

}  // namespace fulcrum::config::testing
