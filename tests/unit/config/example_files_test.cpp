// The reference configuration (every key, as users write it) and every file in examples/ must load
// cleanly: they are what users copy.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config_loader.hpp"
#include "config/config_schema.hpp"
#include "load_helpers.hpp"

namespace fulcrum::config {
namespace example_files_test {

using testing::all_errors;

TEST(ExampleFiles, ReferenceConfigurationLoadsWithoutErrors) {
  const std::string path = FULCRUM_SOURCE_DIR "/tests/unit/config/reference_config.yaml";
  LoadResult result = load_config_file(path);
  ASSERT_TRUE(result.errors.empty()) << all_errors(result);
  ASSERT_TRUE(result.config.has_value());
  const Config& config = *result.config;
  EXPECT_EQ(config.source_path, path);
  EXPECT_EQ(config.workers, 0u);
  ASSERT_EQ(config.listeners.size(), 2u);
  ASSERT_EQ(config.target_groups.size(), 4u);
}

TEST(ExampleFiles, EveryExampleLoadsWithoutErrors) {
  const std::filesystem::path directory = FULCRUM_SOURCE_DIR "/examples";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    LoadResult result = load_config_file(entry.path().string());
    EXPECT_TRUE(result.errors.empty()) << all_errors(result);
    EXPECT_TRUE(result.config.has_value()) << entry.path();
  }
  EXPECT_GE(count, 3) << "examples/ should hold tcp-pair.yaml, http-site.yaml and tls.yaml";
}

// docs/configuration.md is the reference users read: every key the loader accepts must be in it.
TEST(ExampleFiles, DocumentationNamesEveryKey) {
  std::ifstream file(FULCRUM_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(file) << "docs/configuration.md is missing";
  std::stringstream text;
  text << file.rdbuf();
  const std::string docs = text.str();
  for (const Section* section : schema::kAll) {
    for (auto key : section->keys) {
      EXPECT_NE(docs.find("`" + std::string(key) + "`"), std::string::npos)
          << "key '" << key << "' of " << section->path << " is not documented";
    }
  }
}

}  // namespace example_files_test
}  // namespace fulcrum::config
