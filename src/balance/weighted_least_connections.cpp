#include "balance/weighted_least_connections.hpp"

#include "balance/group_state.hpp"
#include "balance/least_score.hpp"

namespace fulcrum::balance {
namespace {

class WeightedLeastConnectionsPicker final : public Picker {
 public:
  WeightedLeastConnectionsPicker(std::shared_ptr<const GroupState> state, uint32_t worker_index)
      : state_(std::move(state)), cursor_(worker_phase(worker_index, state_->candidates.size())) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    return pick_least_score(state_->candidates, cursor_, request, weighted_connections_score);
  }

 private:
  std::shared_ptr<const GroupState> state_;
  uint32_t cursor_;
};

}  // namespace

std::unique_ptr<PickerFactory> make_weighted_least_connections_factory(
    std::shared_ptr<const TargetSet> set, const Options& options) {
  return std::make_unique<FactoryOf<GroupState, WeightedLeastConnectionsPicker>>(
      std::make_shared<const GroupState>(std::move(set), options));
}

}  // namespace fulcrum::balance
