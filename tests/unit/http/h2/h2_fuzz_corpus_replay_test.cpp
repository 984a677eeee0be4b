// Replays the HTTP/2 fuzz seeds (tests/fuzz/corpus/h2/: connections made by nghttp2's client
// and the attack shapes, from tests/fuzz/make_h2_corpus.cpp) through the fuzz driver's checks,
// so every `make test` re-runs them in the normal and sanitizer builds. Inputs the fuzzer found
// interesting can be dropped into that folder to keep them as regression tests.
#include <gtest/gtest.h>

#include "../../../fuzz/h2_fuzz_driver.hpp"
#include "../../../fuzz/seed_inputs.hpp"

namespace fulcrum::http {
namespace h2_fuzz_corpus_replay_test {

TEST(H2FuzzCorpusReplay, EverySeedKeepsTheInvariants) {
  const auto seeds = fuzz_seeds::read_corpus("h2");
  ASSERT_GE(seeds.size(), 20u);
  for (const auto& seed : seeds) {
    EXPECT_EQ(h2_fuzz::run_one(fuzz_seeds::data_of(seed), seed.bytes.size()), "") << seed.name;
  }
}

TEST(H2FuzzCorpusReplay, EmptyAndTinyInputs) {
  EXPECT_EQ(h2_fuzz::run_one(nullptr, 0), "");
  for (int c = 0; c < 256; ++c) {
    const auto byte = static_cast<uint8_t>(c);
    EXPECT_EQ(h2_fuzz::run_one(&byte, 1), "") << c;
  }
}

}  // namespace h2_fuzz_corpus_replay_test
}  // namespace fulcrum::http
