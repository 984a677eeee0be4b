// round_robin and weighted_round_robin across workers: every worker's picker of one snapshot
// takes the group's turns (shared_turns.hpp), so all workers' picks together, however they
// interleave, are exactly the sequence one worker alone would make.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <string>
#include <thread>

#include "group_fixture.hpp"

namespace fulcrum::balance {
namespace shared_turns_test {

using testing::Group;

// What one worker alone picks from a fresh factory: the group's own sequence.
std::vector<uint32_t> one_worker_sequence(const Group& group, Algorithm algorithm, size_t picks) {
  auto factory = make_picker_factory(group.set(), {.algorithm = algorithm});
  auto picker = factory->for_worker(0);
  std::vector<uint32_t> sequence;
  for (size_t i = 0; i < picks; ++i) sequence.push_back(*picker->pick({}));
  return sequence;
}

// `workers` pickers of one factory; burst_of(worker) says how many picks in a row the chosen
// worker makes, next_worker() which worker goes next. Returns the union, in pick order.
template <class NextWorker, class BurstOf>
std::vector<uint32_t> interleaved(const Group& group, Algorithm algorithm, uint32_t workers, size_t picks,
                                  NextWorker next_worker, BurstOf burst_of) {
  auto factory = make_picker_factory(group.set(), {.algorithm = algorithm});
  std::vector<std::unique_ptr<Picker>> pickers;
  for (uint32_t worker = 0; worker < workers; ++worker) pickers.push_back(factory->for_worker(worker));
  std::vector<uint32_t> sequence;
  while (sequence.size() < picks) {
    const uint32_t worker = next_worker();
    for (uint32_t i = burst_of(worker); i > 0 && sequence.size() < picks; --i) {
      sequence.push_back(*pickers[worker]->pick({}));
    }
  }
  return sequence;
}

// Two workers of one factory in turn, in irregular bursts: worker 0 picks 3, worker 1 picks 1,
// worker 0 picks 2, worker 1 picks 5, ...
std::vector<uint32_t> two_workers_in_bursts(const Group& group, Algorithm algorithm, size_t picks) {
  const uint32_t bursts[] = {3, 1, 2, 5, 1, 1, 4, 2, 7, 3};
  uint32_t burst = 0;
  uint32_t turn = 0;
  return interleaved(group, algorithm, 2, picks, [&turn] { return turn++ % 2; },
                     [&](uint32_t) { return bursts[burst++ % std::size(bursts)]; });
}

std::string letters(const std::vector<uint32_t>& sequence) {
  std::string result;
  for (const uint32_t target : sequence) result += static_cast<char>('A' + target);
  return result;
}

// Each run of `period` picks from the start gives every target exactly `share[t]` picks.
void expect_exact_per_period(const std::vector<uint32_t>& sequence, const std::vector<int>& share) {
  const size_t period = static_cast<size_t>(std::accumulate(share.begin(), share.end(), 0));
  for (size_t start = 0; start + period <= sequence.size(); start += period) {
    std::vector<int> counts(share.size(), 0);
    for (size_t i = start; i < start + period; ++i) ++counts[sequence[i]];
    ASSERT_EQ(counts, share) << "period starting at pick " << start;
  }
}

TEST(SharedTurns, FiveToTwoOverTwoAlternatingWorkersIsTheOneWorkerSequence) {
  const Group group(std::vector<uint32_t>{5, 2});
  uint32_t turn = 0;
  const auto both = interleaved(group, Algorithm::weighted_round_robin, 2, 700,
                                [&turn] { return turn++ % 2; }, [](uint32_t) { return 1u; });
  EXPECT_EQ(letters(both).substr(0, 14), "AABAABAAABAABA");
  EXPECT_EQ(both, one_worker_sequence(group, Algorithm::weighted_round_robin, 700));
  EXPECT_EQ(letters(both).find("AAAA"), std::string::npos);
  expect_exact_per_period(both, {5, 2});
}

TEST(SharedTurns, FiveToTwoOverTwoWorkersInIrregularBurstsIsTheOneWorkerSequence) {
  const Group group(std::vector<uint32_t>{5, 2});
  const auto both = two_workers_in_bursts(group, Algorithm::weighted_round_robin, 700);
  EXPECT_EQ(both, one_worker_sequence(group, Algorithm::weighted_round_robin, 700));
  EXPECT_EQ(letters(both).find("AAAA"), std::string::npos);
  expect_exact_per_period(both, {5, 2});
}

TEST(SharedTurns, RoundRobinOverTwoWorkersGivesExactSharesPerPeriod) {
  const Group group(std::vector<uint32_t>{5, 2, 1});  // weights do not matter to round robin
  const auto both = two_workers_in_bursts(group, Algorithm::round_robin, 600);
  expect_exact_per_period(both, {1, 1, 1});
  EXPECT_EQ(both, one_worker_sequence(group, Algorithm::round_robin, 600));
}

// Sequences too long to tabulate (here 72,000 turns: the classes take turns A B, but the 36,000
// targets of weight 1 come round only every 72,000) are computed per turn: still one sequence.
TEST(SharedTurns, LongSequencesAreExactAcrossWorkersToo) {
  std::vector<uint32_t> weights(12'000, 3);
  weights.resize(48'000, 1);
  const Group group(weights);
  const size_t picks = 2 * 72'000;
  const auto both = two_workers_in_bursts(group, Algorithm::weighted_round_robin, picks);
  expect_exact_per_period(both, std::vector<int>(weights.begin(), weights.end()));
  EXPECT_EQ(both, one_worker_sequence(group, Algorithm::weighted_round_robin, picks));
}

// The smoothness property of weighted_round_robin.AnyWindowIsSmooth, now over the union of
// 2 to 4 workers picking in random order and random bursts: in any k consecutive picks a target
// gets at most ceil(k * w / W) + 1. Classes of several members are in the mix too.
TEST(SharedTurns, AnyWindowOfRandomlyInterleavedWorkersIsSmooth) {
  std::mt19937 random(11);
  for (int round = 0; round < 40; ++round) {
    const std::vector<uint32_t> weights = testing::random_weights(random, round);
    const Group group(weights);
    const uint32_t workers = 2 + random() % 3;
    const auto sequence = interleaved(
        group, Algorithm::weighted_round_robin, workers, 3000, [&] { return random() % workers; },
        [&](uint32_t) { return 1 + random() % 4; });
    ASSERT_EQ(testing::first_unsmooth_window(sequence, weights), "")
        << "round " << round << ", " << workers << " workers";
    ASSERT_EQ(sequence, one_worker_sequence(group, Algorithm::weighted_round_robin, 3000)) << "round " << round;
  }
}

// Two threads picking at once, 100,000 picks each: every turn is taken exactly once, so the
// totals are exact multiples of the group's period. 64 is the period in both groups, and each
// thread alone ends half-way through one, so per-worker sequences would not add up exactly.
void expect_exact_totals_from_two_threads(Algorithm algorithm, const std::vector<uint32_t>& weights,
                                          const std::vector<int>& per_period) {
  const Group group(weights);
  auto factory = make_picker_factory(group.set(), {.algorithm = algorithm});
  constexpr int kPicksPerThread = 100'000;
  std::vector<std::vector<int>> counts(2, std::vector<int>(weights.size(), 0));
  std::vector<std::thread> threads;
  for (uint32_t worker = 0; worker < 2; ++worker) {
    threads.emplace_back([&, worker, picker = factory->for_worker(worker)] {
      for (int i = 0; i < kPicksPerThread; ++i) ++counts[worker][*picker->pick({})];
    });
  }
  for (std::thread& thread : threads) thread.join();
  const int period = std::accumulate(per_period.begin(), per_period.end(), 0);
  ASSERT_EQ(2 * kPicksPerThread % period, 0);
  for (size_t t = 0; t < weights.size(); ++t) {
    EXPECT_EQ(counts[0][t] + counts[1][t], 2 * kPicksPerThread / period * per_period[t]) << "target " << t;
  }
}

TEST(SharedTurns, TwoThreadsWeightedTotalsAreExact) {
  const std::vector<uint32_t> weights{21, 20, 7, 7, 5, 3, 1};  // sums to 64; a class of two
  expect_exact_totals_from_two_threads(Algorithm::weighted_round_robin, weights,
                                       std::vector<int>(weights.begin(), weights.end()));
}

TEST(SharedTurns, TwoThreadsRoundRobinTotalsAreExact) {
  expect_exact_totals_from_two_threads(Algorithm::round_robin, std::vector<uint32_t>(64, 1),
                                       std::vector<int>(64, 1));
}

// A new snapshot of the same group built with the previous factory carries on from its turn.
TEST(SharedTurns, ANewFactoryCarriesOnFromThePreviousOnesTurn) {
  for (const Algorithm algorithm : {Algorithm::round_robin, Algorithm::weighted_round_robin}) {
    const Group group(std::vector<uint32_t>{5, 2, 1});
    const auto expected = one_worker_sequence(group, algorithm, 12);
    std::vector<uint32_t> sequence;
    auto before = make_picker_factory(group.set(), {.algorithm = algorithm});
    auto picker = before->for_worker(0);
    for (int i = 0; i < 5; ++i) sequence.push_back(*picker->pick({}));
    auto after = make_picker_factory(group.set(), {.algorithm = algorithm}, before.get());
    picker = after->for_worker(1);
    for (int i = 0; i < 7; ++i) sequence.push_back(*picker->pick({}));
    EXPECT_EQ(sequence, expected) << testing::name_of(algorithm);
    // Another algorithm's factory is no previous turn to carry on from: start afresh.
    auto unrelated = make_picker_factory(group.set(), {.algorithm = Algorithm::ip_hash});
    auto fresh = make_picker_factory(group.set(), {.algorithm = algorithm}, unrelated.get());
    EXPECT_EQ(fresh->for_worker(0)->pick({}), expected[0]);
  }
}

// A retry's skipped turns are spent, but never at the cost of the avoid rules, even when another
// worker takes turns in between: the first worker always avoids the heavy target.
TEST(SharedTurns, AvoidingWorkersAndOthersInterleaved) {
  const Group group(std::vector<uint32_t>{1000, 1, 1});
  auto factory = make_picker_factory(group.set(), {.algorithm = Algorithm::weighted_round_robin});
  auto retrying = factory->for_worker(0);
  auto other = factory->for_worker(1);
  const std::vector<uint32_t> avoid{0};
  PickRequest retry;
  retry.avoid = avoid;
  for (int i = 0; i < 1000; ++i) {
    const auto chosen = retrying->pick(retry);
    ASSERT_TRUE(chosen);
    EXPECT_NE(*chosen, 0u);
    ASSERT_TRUE(other->pick({}));
  }
}

}  // namespace shared_turns_test
}  // namespace fulcrum::balance
