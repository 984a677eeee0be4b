#include "balance/least_response_time.hpp"

#include "balance/group_state.hpp"
#include "balance/least_score.hpp"

namespace fulcrum::balance {
namespace {

// Weight of each pick's window mean in the running mean: roughly the last eight windows.
constexpr double kMeanWeight = 1.0 / 8;

uint32_t ewma_of(const Candidate& candidate) {
  return candidate.counters->response_ewma_us.load(std::memory_order_relaxed);
}

class LeastResponseTimePicker final : public Picker {
 public:
  LeastResponseTimePicker(std::shared_ptr<const GroupState> state, uint32_t worker_index)
      : state_(std::move(state)),
        cursor_(worker_phase(worker_index, state_->candidates.size())),
        // Workers explore at different moments rather than all on the same pick.
        until_exploration_(kExplorationPeriod - 1 - worker_index % kExplorationPeriod),
        exploration_cursor_(worker_phase(worker_index, state_->candidates.size())) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const CandidateList& candidates = state_->candidates;
    if (until_exploration_ == 0) {
      until_exploration_ = kExplorationPeriod - 1;
      return explore(request);
    }
    --until_exploration_;

    // Stand-in for targets without samples: a running mean of the EWMAs this worker has seen.
    // The window's samples are summed during the scan (independent adds, no dependency chain)
    // and folded into the mean once per pick. Until a first sample is seen the mean is seeded
    // from the window about to be scanned, so that an unsampled target met before any sampled
    // one is not mistaken for the fastest. With no sample anywhere every target is alike and
    // the score is weighted connections.
    if (seen_ewma_mean_ == 0.0) seed_mean();
    const double stand_in = seen_ewma_mean_ == 0.0 ? 1.0 : seen_ewma_mean_;
    uint64_t window_sum = 0;
    uint32_t window_sampled = 0;
    const auto chosen = pick_least_score(candidates, cursor_, request, [&](const Candidate& candidate) {
      const uint32_t ewma = ewma_of(candidate);
      window_sum += ewma;
      window_sampled += ewma != 0;
      return (ewma != 0 ? static_cast<double>(ewma) : stand_in) * weighted_connections_score(candidate);
    });
    if (window_sampled != 0) {
      const double window_mean = static_cast<double>(window_sum) / window_sampled;
      seen_ewma_mean_ += (window_mean - seen_ewma_mean_) * kMeanWeight;
    }
    return chosen;
  }

 private:
  void seed_mean() {
    const CandidateList& candidates = state_->candidates;
    const uint32_t count = candidates.size();
    uint64_t sum = 0;
    uint32_t sampled = 0;
    uint32_t position = cursor_ < count ? cursor_ : 0;
    for (uint32_t step = 0; step < score_window(count); ++step) {
      const uint32_t ewma = ewma_of(candidates[position]);
      sum += ewma;
      sampled += ewma != 0;
      position = next_position(position, count);
    }
    if (sampled != 0) seen_ewma_mean_ = static_cast<double>(sum) / sampled;
  }

  std::optional<uint32_t> explore(const PickRequest& request) {
    const CandidateList& candidates = state_->candidates;
    if (candidates.empty() || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    // Its own cursor: the scoring cursor can fall into a cycle in step with the exploration
    // period (two fast targets alternating) and would then explore the same target forever.
    const uint32_t position = candidates.first_not_avoided(exploration_cursor_, request.avoid);
    exploration_cursor_ = next_position(position, candidates.size());
    return candidates[position].target;
  }

  std::shared_ptr<const GroupState> state_;
  uint32_t cursor_;
  uint32_t until_exploration_;
  uint32_t exploration_cursor_;
  double seen_ewma_mean_ = 0.0;  // 0: no sample seen yet
};

}  // namespace

std::unique_ptr<PickerFactory> make_least_response_time_factory(std::shared_ptr<const TargetSet> set,
                                                                const Options& options) {
  return std::make_unique<FactoryOf<GroupState, LeastResponseTimePicker>>(
      std::make_shared<const GroupState>(std::move(set), options));
}

}  // namespace fulcrum::balance
