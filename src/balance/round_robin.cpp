#include "balance/round_robin.hpp"

#include "balance/fast_random.hpp"
#include "balance/group_state.hpp"
#include "balance/ramp_admission.hpp"

namespace fulcrum::balance {
namespace {

class RoundRobinPicker final : public Picker {
 public:
  RoundRobinPicker(std::shared_ptr<const GroupState> state, uint32_t worker_index)
      : state_(std::move(state)),
        cursor_(worker_phase(worker_index, state_->candidates.size())),
        random_(worker_index) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const CandidateList& candidates = state_->candidates;
    const uint32_t count = candidates.size();
    if (count == 0 || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    RampAdmission admission(candidates, request.now_ms, random_);
    // Ends within avoid.size() + kMaxRampRejections + 1 turns: at least one candidate is not
    // avoided, and admission gives up rejecting after a bounded number of tries.
    for (;;) {
      const uint32_t position = cursor_;
      cursor_ = cursor_ + 1 == count ? 0 : cursor_ + 1;
      const uint32_t target = candidates[position].target;
      if (contains(request.avoid, target)) continue;
      if (!admission.admit(position)) continue;
      return target;
    }
  }

 private:
  std::shared_ptr<const GroupState> state_;
  uint32_t cursor_;
  FastRandom random_;
};

}  // namespace

std::unique_ptr<PickerFactory> make_round_robin_factory(std::shared_ptr<const TargetSet> set,
                                                        const Options& options) {
  return std::make_unique<FactoryOf<GroupState, RoundRobinPicker>>(
      std::make_shared<const GroupState>(std::move(set), options));
}

}  // namespace fulcrum::balance
