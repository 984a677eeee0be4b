// Replays the HTTP/2 fuzz seeds (tests/fuzz/corpus/h2/: connections made by nghttp2's client
// and the attack shapes, from tests/fuzz/make_h2_corpus.cpp) through the fuzz driver's checks,
// so every `make test` re-runs them in the normal and sanitizer builds. Inputs the fuzzer found
// interesting can be dropped into that folder to keep them as regression tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../../fuzz/h2_fuzz_driver.hpp"

namespace fulcrum::http {
namespace {

std::vector<std::filesystem::path> seed_files() {
  const std::filesystem::path dir = std::filesystem::path(FULCRUM_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "h2";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(H2FuzzCorpusReplay, EverySeedKeepsTheInvariants) {
  const auto files = seed_files();
  ASSERT_GE(files.size(), 20u);
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(h2_fuzz::run_one(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), "") << path.filename();
  }
}

TEST(H2FuzzCorpusReplay, EmptyAndTinyInputs) {
  EXPECT_EQ(h2_fuzz::run_one(nullptr, 0), "");
  for (int c = 0; c < 256; ++c) {
    const auto byte = static_cast<uint8_t>(c);
    EXPECT_EQ(h2_fuzz::run_one(&byte, 1), "") << c;
  }
}

}  // namespace
}  // namespace fulcrum::http
