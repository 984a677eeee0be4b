#include "balance/weighted_round_robin.hpp"

#include <map>
#include <numeric>

#include "balance/fast_random.hpp"
#include "balance/group_state.hpp"
#include "balance/shared_turns.hpp"
#include "balance/smooth_schedule.hpp"

namespace fulcrum::balance {
namespace {

constexpr uint32_t kMaxScheduleLength = 1u << 16;
// Sequences that repeat within this many turns are kept as a table of candidate positions.
constexpr uint64_t kMaxFlatLength = 1u << 16;

struct WeightClass {
  uint32_t first = 0;  // into WeightedRoundRobinState::members
  uint32_t count = 0;
  uint32_t turns_per_period = 0;  // how often the class appears in one period of the schedule
};

struct Slot {  // one entry of the schedule
  uint32_t class_index = 0;
  uint32_t earlier_turns = 0;  // the class's turns before this slot in the period
};

struct WeightedRoundRobinState : GroupState {
  WeightedRoundRobinState(std::shared_ptr<const TargetSet> target_set, const Options& group_options,
                          uint64_t first_turn)
      : GroupState(std::move(target_set), group_options), turns(first_turn) {
    // Heaviest class first, members in candidate order: deterministic for a given set.
    std::map<uint32_t, std::vector<uint32_t>, std::greater<>> by_weight;
    for (uint32_t position = 0; position < candidates.size(); ++position) {
      by_weight[candidates.weight(position)].push_back(position);
    }
    std::vector<uint64_t> class_weights;
    for (const auto& [weight, positions] : by_weight) {
      classes.push_back({static_cast<uint32_t>(members.size()), static_cast<uint32_t>(positions.size()), 0});
      members.insert(members.end(), positions.begin(), positions.end());
      class_weights.push_back(uint64_t{weight} * positions.size());
    }
    for (const uint32_t class_index : build_smooth_schedule(class_weights, kMaxScheduleLength)) {
      schedule.push_back({class_index, classes[class_index].turns_per_period++});
    }
    // The sequence repeats once every class is back at its first member at the start of a
    // schedule period: after count / gcd(count, turns_per_period) periods for each class.
    uint64_t period = schedule.size();
    for (const WeightClass& weight_class : classes) {
      if (period > kMaxFlatLength) break;
      const uint64_t cycle = weight_class.count / std::gcd(weight_class.count, weight_class.turns_per_period);
      period = std::lcm(period, schedule.size() * cycle);
    }
    if (period <= kMaxFlatLength) {
      flat.reserve(period);
      for (uint64_t turn = 0; turn < period; ++turn) flat.push_back(derived_position(turn));
    }
  }

  uint32_t position_of(uint64_t turn) const {
    return flat.empty() ? derived_position(turn) : flat[turn % flat.size()];
  }

  // Turn n, whichever worker takes it: slot n mod period names the class; the class has had
  // (n / period) x turns_per_period + earlier_turns turns before this one, and its members
  // take those in order, so that count modulo the class size is the member.
  uint32_t derived_position(uint64_t turn) const {
    const Slot& slot = schedule[turn % schedule.size()];
    const WeightClass& weight_class = classes[slot.class_index];
    const uint64_t class_turn = turn / schedule.size() * weight_class.turns_per_period + slot.earlier_turns;
    return members[weight_class.first + class_turn % weight_class.count];
  }

  std::vector<uint32_t> members;  // candidate positions, grouped by weight class
  std::vector<WeightClass> classes;
  std::vector<Slot> schedule;  // one period of the classes' turns
  std::vector<uint32_t> flat;  // one period of derived_position, when it is short; else empty
  SharedTurns turns;
};

class WeightedRoundRobinPicker final : public Picker {
 public:
  WeightedRoundRobinPicker(std::shared_ptr<const WeightedRoundRobinState> state, uint32_t worker_index)
      : state_(std::move(state)), random_(worker_index) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const WeightedRoundRobinState& state = *state_;
    return state.turns.pick(state.candidates, request, random_,
                            [&state](uint64_t turn) { return state.position_of(turn); });
  }

 private:
  std::shared_ptr<const WeightedRoundRobinState> state_;
  FastRandom random_;
};

using WeightedRoundRobinFactory = FactoryOf<WeightedRoundRobinState, WeightedRoundRobinPicker>;

}  // namespace

std::unique_ptr<PickerFactory> make_weighted_round_robin_factory(
    std::shared_ptr<const TargetSet> set, const Options& options, const PickerFactory* previous) {
  const uint64_t first_turn = turn_reached<WeightedRoundRobinFactory>(previous);
  return std::make_unique<WeightedRoundRobinFactory>(
      std::make_shared<const WeightedRoundRobinState>(std::move(set), options, first_turn));
}

}  // namespace fulcrum::balance
