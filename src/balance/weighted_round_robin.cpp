#include "balance/weighted_round_robin.hpp"

#include <map>

#include "balance/fast_random.hpp"
#include "balance/group_state.hpp"
#include "balance/ramp_admission.hpp"
#include "balance/smooth_schedule.hpp"

namespace fulcrum::balance {
namespace {

constexpr uint32_t kMaxScheduleLength = 1u << 16;
// Turns a pick may skip (avoided or ramp-rejected) before it falls back to the first
// non-avoided candidate in plain order; keeps a retry O(1) when a heavy target is avoided.
constexpr uint32_t kMaxSkippedTurns = 32;

struct WeightClass {
  uint32_t first = 0;  // into WeightedRoundRobinState::members
  uint32_t count = 0;
};

struct WeightedRoundRobinState : GroupState {
  WeightedRoundRobinState(std::shared_ptr<const TargetSet> target_set, const Options& group_options)
      : GroupState(std::move(target_set), group_options) {
    // Heaviest class first, members in candidate order: deterministic for a given set.
    std::map<uint32_t, std::vector<uint32_t>, std::greater<>> by_weight;
    for (uint32_t position = 0; position < candidates.size(); ++position) {
      by_weight[candidates.weight(position)].push_back(position);
    }
    std::vector<uint64_t> class_weights;
    for (const auto& [weight, positions] : by_weight) {
      classes.push_back({static_cast<uint32_t>(members.size()), static_cast<uint32_t>(positions.size())});
      members.insert(members.end(), positions.begin(), positions.end());
      class_weights.push_back(uint64_t{weight} * positions.size());
    }
    schedule = build_smooth_schedule(class_weights, kMaxScheduleLength);
  }

  std::vector<uint32_t> members;  // candidate positions, grouped by weight class
  std::vector<WeightClass> classes;
  std::vector<uint32_t> schedule;  // class indexes, one period
};

class WeightedRoundRobinPicker final : public Picker {
 public:
  WeightedRoundRobinPicker(std::shared_ptr<const WeightedRoundRobinState> state, uint32_t worker_index)
      : state_(std::move(state)),
        schedule_cursor_(worker_phase(worker_index, static_cast<uint32_t>(state_->schedule.size()))),
        member_cursors_(state_->classes.size()),
        random_(worker_index) {
    for (size_t i = 0; i < member_cursors_.size(); ++i) {
      member_cursors_[i] = worker_phase(worker_index, state_->classes[i].count);
    }
  }

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const CandidateList& candidates = state_->candidates;
    if (candidates.empty() || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    RampAdmission admission(candidates, request.now_ms, random_);
    for (uint32_t turn = 0; turn < kMaxSkippedTurns; ++turn) {
      const uint32_t position = next_turn();
      const uint32_t target = candidates[position].target;
      if (contains(request.avoid, target)) continue;
      if (!admission.admit(position)) continue;
      return target;
    }
    return candidates[candidates.first_not_avoided(fallback_cursor_++, request.avoid)].target;
  }

 private:
  uint32_t next_turn() {
    const auto& schedule = state_->schedule;
    const uint32_t class_index = schedule[schedule_cursor_];
    schedule_cursor_ = schedule_cursor_ + 1 == schedule.size() ? 0 : schedule_cursor_ + 1;
    const WeightClass& weight_class = state_->classes[class_index];
    uint32_t& member = member_cursors_[class_index];
    const uint32_t position = state_->members[weight_class.first + member];
    member = member + 1 == weight_class.count ? 0 : member + 1;
    return position;
  }

  std::shared_ptr<const WeightedRoundRobinState> state_;
  uint32_t schedule_cursor_;
  std::vector<uint32_t> member_cursors_;  // one per weight class; sized once, never per pick
  uint32_t fallback_cursor_ = 0;
  FastRandom random_;
};

}  // namespace

std::unique_ptr<PickerFactory> make_weighted_round_robin_factory(
    std::shared_ptr<const TargetSet> set, const Options& options) {
  return std::make_unique<FactoryOf<WeightedRoundRobinState, WeightedRoundRobinPicker>>(
      std::make_shared<const WeightedRoundRobinState>(std::move(set), options));
}

}  // namespace fulcrum::balance
