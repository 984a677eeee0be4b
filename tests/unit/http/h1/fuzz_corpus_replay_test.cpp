// Replays the fuzz seed corpus (tests/fuzz/corpus/http/) through the same checks the fuzzer
// makes, so every `make test` re-runs it in the normal and sanitizer builds. Inputs the fuzzer
// found interesting can be dropped into that folder to keep them as regression tests.
#include <gtest/gtest.h>

#include "../../../fuzz/http_fuzz_driver.hpp"
#include "../../../fuzz/seed_inputs.hpp"

namespace fulcrum::http {
namespace fuzz_corpus_replay_test {

TEST(FuzzCorpusReplay, EverySeedKeepsTheInvariants) {
  const auto seeds = fuzz_seeds::read_corpus("http");
  ASSERT_GE(seeds.size(), 30u);
  for (const auto& seed : seeds) {
    EXPECT_EQ(fuzz::run_one(fuzz_seeds::data_of(seed), seed.bytes.size()), "") << seed.name;
  }
}

TEST(FuzzCorpusReplay, EmptyAndTinyInputs) {
  EXPECT_EQ(fuzz::run_one(nullptr, 0), "");
  for (int c = 0; c < 256; ++c) {
    const auto byte = static_cast<uint8_t>(c);
    EXPECT_EQ(fuzz::run_one(&byte, 1), "") << c;
  }
}

}  // namespace fuzz_corpus_replay_test
}  // namespace fulcrum::http
