#pragma once
// weighted_round_robin (the default): smooth weighted turns, nginx-style. Weights 5 and 2 give
// A A B A A B A, never five A in a row.
//
// How it stays O(1) at 10,000 targets: candidates of equal weight form one class, and classes
// take turns by a smooth schedule (smooth_schedule.hpp) precomputed in the factory, with the
// class's weight being weight x members. Inside a class, members take plain turns. A target
// therefore gets exactly its weighted share, and because the class's turns are smooth and it
// shares them evenly, the target's own turns stay within ceil(k*w/W) + 1 in any k picks.
// Deployments have a handful of distinct weights, so the schedule is short (<= 65,536 entries).
//
// The sequence is the group's, not a worker's: all workers' pickers of a snapshot take turn
// numbers from one shared counter (shared_turns.hpp), and the candidate of turn n is a pure
// function of n: the schedule slot n mod period gives the class, and the number of turns the
// class had before n (n / period x its turns per period + its turns earlier in the period,
// stored with the slot) modulo its size gives the member. So the workers' picks together are
// exactly the one-worker sequence, with one fetch_add per turn, no lock, no allocation, at any
// size. When that sequence repeats within 65,536 turns (it repeats after sum(weights) /
// gcd(weights) turns: 25,000 for 10,000 targets of weights 1 to 4) the factory tabulates one period
// of it, and a turn costs one division and one read instead of two divisions and three reads;
// longer sequences (a few hundred targets with weights spread over 1..1000) are computed per
// turn. Per-class cursors shared too were the other way: a second atomic per pick, and workers
// could take a class's turn and its member's turn in different orders, so not exact.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

// With `previous` a weighted_round_robin factory, the new group carries on from the turn it had
// reached (an unchanged group continues its sequence exactly).
std::unique_ptr<PickerFactory> make_weighted_round_robin_factory(
    std::shared_ptr<const TargetSet> set, const Options& options, const PickerFactory* previous = nullptr);

}  // namespace fulcrum::balance
