// Replays the DNS fuzz seed corpus (tests/fuzz/corpus/dns/) through the same checks the fuzzer
// makes, so every `make test` re-runs it in the normal and sanitizer builds. Inputs the fuzzer
// found interesting can be dropped into that folder to keep them as regression tests.
#include <gtest/gtest.h>

#include "../../fuzz/dns_fuzz_driver.hpp"
#include "../../fuzz/seed_inputs.hpp"

namespace fulcrum::dns {
namespace fuzz_corpus_replay_test {

TEST(DnsFuzzCorpusReplay, EverySeedKeepsTheInvariants) {
  const auto seeds = fuzz_seeds::read_corpus("dns");
  ASSERT_GE(seeds.size(), 25u);
  for (const auto& seed : seeds) {
    EXPECT_EQ(fuzz::run_one(fuzz_seeds::data_of(seed), seed.bytes.size()), "") << seed.name;
  }
}

TEST(DnsFuzzCorpusReplay, EveryPrefixOfEverySeed) {
  // Cutting a valid query anywhere must be refused cleanly, never read past the end.
  for (const auto& seed : fuzz_seeds::read_corpus("dns")) {
    for (size_t n = 0; n <= seed.bytes.size(); ++n) {
      EXPECT_EQ(fuzz::run_one(fuzz_seeds::data_of(seed), n), "") << seed.name << " " << n;
    }
  }
}

}  // namespace fuzz_corpus_replay_test
}  // namespace fulcrum::dns
