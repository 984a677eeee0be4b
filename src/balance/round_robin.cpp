#include "balance/round_robin.hpp"

#include "balance/fast_random.hpp"
#include "balance/group_state.hpp"
#include "balance/shared_turns.hpp"

namespace fulcrum::balance {
namespace {

struct RoundRobinState : GroupState {
  RoundRobinState(std::shared_ptr<const TargetSet> target_set, const Options& group_options,
                  uint64_t first_turn)
      : GroupState(std::move(target_set), group_options), turns(first_turn) {}

  SharedTurns turns;  // turn n goes to candidate n mod size, whichever worker takes it
};

class RoundRobinPicker final : public Picker {
 public:
  RoundRobinPicker(std::shared_ptr<const RoundRobinState> state, uint32_t worker_index)
      : state_(std::move(state)), random_(worker_index) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const uint32_t count = state_->candidates.size();
    return state_->turns.pick(state_->candidates, request, random_,
                              [count](uint64_t turn) { return static_cast<uint32_t>(turn % count); });
  }

 private:
  std::shared_ptr<const RoundRobinState> state_;
  FastRandom random_;
};

using RoundRobinFactory = FactoryOf<RoundRobinState, RoundRobinPicker>;

}  // namespace

std::unique_ptr<PickerFactory> make_round_robin_factory(std::shared_ptr<const TargetSet> set,
                                                        const Options& options,
                                                        const PickerFactory* previous) {
  const uint64_t first_turn = turn_reached<RoundRobinFactory>(previous);
  return std::make_unique<RoundRobinFactory>(
      std::make_shared<const RoundRobinState>(std::move(set), options, first_turn));
}

}  // namespace fulcrum::balance
