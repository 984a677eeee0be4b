#include "balance/least_response_time.hpp"

#include "balance/group_state.hpp"
#include "balance/least_score.hpp"

namespace fulcrum::balance {
namespace {

// Weight of each newly seen EWMA in the running mean: about the last two windows' worth.
constexpr double kMeanWeight = 1.0 / 32;

uint32_t ewma_of(const Candidate& candidate) {
  return candidate.counters->response_ewma_us.load(std::memory_order_relaxed);
}

class LeastResponseTimePicker final : public Picker {
 public:
  LeastResponseTimePicker(std::shared_ptr<const GroupState> state, uint32_t worker_index)
      : state_(std::move(state)),
        cursor_(worker_phase(worker_index, state_->candidates.size())),
        // Workers explore at different moments rather than all on the same pick.
        until_exploration_(kExplorationPeriod - 1 - worker_index % kExplorationPeriod) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const CandidateList& candidates = state_->candidates;
    if (until_exploration_ == 0) {
      until_exploration_ = kExplorationPeriod - 1;
      return explore(request);
    }
    --until_exploration_;

    // Stand-in for targets without samples: a running mean of the EWMAs this worker has seen,
    // updated in the same pass (so one pass per pick, not two).
    return pick_least_score(candidates, cursor_, request, [this](const Candidate& candidate) {
      const uint32_t ewma = ewma_of(candidate);
      double latency = static_cast<double>(ewma);
      if (ewma != 0) {
        seen_ewma_mean_ = seen_ewma_mean_ == 0.0 ? latency : seen_ewma_mean_ + (latency - seen_ewma_mean_) * kMeanWeight;
      } else {
        // Nothing seen yet: every target is alike and the score is weighted connections.
        latency = seen_ewma_mean_ == 0.0 ? 1.0 : seen_ewma_mean_;
      }
      return latency * weighted_connections_score(candidate);
    });
  }

 private:
  std::optional<uint32_t> explore(const PickRequest& request) {
    const CandidateList& candidates = state_->candidates;
    if (candidates.empty() || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    const uint32_t position = candidates.first_not_avoided(cursor_, request.avoid);
    cursor_ = next_position(position, candidates.size());
    return candidates[position].target;
  }

  std::shared_ptr<const GroupState> state_;
  uint32_t cursor_;
  uint32_t until_exploration_;
  double seen_ewma_mean_ = 0.0;  // 0: no sample seen yet
};

}  // namespace

std::unique_ptr<PickerFactory> make_least_response_time_factory(std::shared_ptr<const TargetSet> set,
                                                                const Options& options) {
  return std::make_unique<FactoryOf<GroupState, LeastResponseTimePicker>>(
      std::make_shared<const GroupState>(std::move(set), options));
}

}  // namespace fulcrum::balance
