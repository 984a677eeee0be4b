// Replays the DNS fuzz seed corpus (tests/fuzz/corpus/dns/) through the same checks the fuzzer
// makes, so every `make test` re-runs it in the normal and sanitizer builds. Inputs the fuzzer
// found interesting can be dropped into that folder to keep them as regression tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../fuzz/dns_fuzz_driver.hpp"

namespace fulcrum::dns {
namespace {

TEST(DnsFuzzCorpusReplay, EverySeedKeepsTheInvariants) {
  const std::filesystem::path dir = std::filesystem::path(FULCRUM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "dns";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 25u);
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(fuzz::run_one(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "") << path.filename();
  }
}

TEST(DnsFuzzCorpusReplay, EveryPrefixOfEverySeed) {
  // Cutting a valid query anywhere must be refused cleanly, never read past the end.
  const std::filesystem::path dir = std::filesystem::path(FULCRUM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "dns";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t n = 0; n <= bytes.size(); ++n) {
      EXPECT_EQ(fuzz::run_one(reinterpret_cast<const uint8_t*>(bytes.data()), n), "") << entry.path().filename() << " " << n;
    }
  }
}

}  // namespace
}  // namespace fulcrum::dns
