#include "balance/random_two_choices.hpp"

#include <algorithm>

#include "balance/alias_table.hpp"
#include "balance/fast_random.hpp"
#include "balance/group_state.hpp"
#include "balance/next_position.hpp"
#include "balance/ramp_admission.hpp"

namespace fulcrum::balance {
namespace {

// Draws per choice before giving up on the random route (avoided or ramp-rejected targets) and
// taking the next non-avoided candidate in plain order; keeps a retry O(1).
constexpr uint32_t kMaxDraws = 16;
constexpr uint32_t kNoPosition = 0xffffffff;

struct RandomTwoChoicesState : GroupState {
  RandomTwoChoicesState(std::shared_ptr<const TargetSet> target_set, const Options& group_options)
      : GroupState(std::move(target_set), group_options) {
    std::vector<uint32_t> weights;
    for (uint32_t position = 0; position < candidates.size(); ++position) {
      weights.push_back(candidates.weight(position));
    }
    const bool uniform = std::adjacent_find(weights.begin(), weights.end(), std::not_equal_to<>()) == weights.end();
    if (!uniform) by_weight = AliasTable(weights);  // equal weights need no table
  }

  AliasTable by_weight;
};

class RandomTwoChoicesPicker final : public Picker {
 public:
  RandomTwoChoicesPicker(std::shared_ptr<const RandomTwoChoicesState> state, uint32_t worker_index)
      : state_(std::move(state)), random_(mix64(worker_index, state_->set->version)) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const CandidateList& candidates = state_->candidates;
    const uint32_t count = candidates.size();
    if (count == 0 || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    RampAdmission admission(candidates, request.now_ms, random_);
    const uint32_t first = draw(request, admission, kNoPosition);
    const uint32_t second = count == 1 ? first : draw(request, admission, first);
    if (second == first) return candidates[first].target;  // nothing else is eligible

    const bool ramping = candidates.may_ramp(request.now_ms);
    const auto load = [&](uint32_t position) {
      const Candidate& candidate = candidates[position];
      double score = static_cast<double>(candidate.counters->active.load(std::memory_order_relaxed)) *
                     static_cast<double>(candidate.inverse_weight);
      if (ramping) score /= candidates.ramp_factor(position, request.now_ms);
      return score;
    };
    return candidates[load(second) < load(first) ? second : first].target;
  }

 private:
  // A candidate position drawn by weight, not avoided and admitted by slow start, and not
  // `other` (the first draw): two distinct choices, as the method intends.
  uint32_t draw(const PickRequest& request, RampAdmission& admission, uint32_t other) {
    const CandidateList& candidates = state_->candidates;
    const uint32_t count = candidates.size();
    for (uint32_t attempt = 0; attempt < kMaxDraws; ++attempt) {
      uint32_t position = 0;
      if (state_->by_weight.empty()) {
        // Uniform over everyone but `other`, in one draw.
        position = other == kNoPosition ? random_.below(count) : random_.below(count - 1);
        if (other != kNoPosition && position >= other) ++position;
      } else {
        position = state_->by_weight.draw(random_);
        if (position == other) continue;
      }
      if (contains(request.avoid, candidates[position].target)) continue;
      if (!admission.admit(position)) continue;
      return position;
    }
    // Unlucky or nearly everything avoided: the next eligible one in plain order.
    const uint32_t start = other == kNoPosition ? random_.below(count) : next_position(other, count);
    return candidates.first_not_avoided(start, request.avoid);
  }

  std::shared_ptr<const RandomTwoChoicesState> state_;
  FastRandom random_;
};

}  // namespace

std::unique_ptr<PickerFactory> make_random_two_choices_factory(std::shared_ptr<const TargetSet> set,
                                                               const Options& options) {
  return std::make_unique<FactoryOf<RandomTwoChoicesState, RandomTwoChoicesPicker>>(
      std::make_shared<const RandomTwoChoicesState>(std::move(set), options));
}

}  // namespace fulcrum::balance
