#pragma once
// GroupState: what every algorithm's factory builds once per snapshot and every worker's picker
// then reads: the TargetSet itself (kept alive here), its candidates and the options. Pickers
// hold a shared_ptr to their algorithm's state, so a picker stays valid even if the upstream
// drops the factory first; the reference count is touched when a picker is made, never per pick.
#include <memory>

#include "balance/candidate_list.hpp"
#include "balance/picker.hpp"

namespace fulcrum::balance {

struct GroupState {
  GroupState(std::shared_ptr<const TargetSet> target_set, const Options& group_options)
      : set(std::move(target_set)), candidates(*set, group_options), options(group_options) {}

  std::shared_ptr<const TargetSet> set;
  CandidateList candidates;
  Options options;
};

// The one PickerFactory every algorithm uses: State is the algorithm's immutable state (derived
// from GroupState), PickerType its per-worker picker, constructed from (state, worker_index).
template <class State, class PickerType>
class FactoryOf final : public PickerFactory {
 public:
  explicit FactoryOf(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::unique_ptr<Picker> for_worker(uint32_t worker_index) const override {
    return std::make_unique<PickerType>(state_, worker_index);
  }
  const TargetSet& targets() const override { return *state_->set; }
  const State& state() const { return *state_; }

 private:
  std::shared_ptr<const State> state_;
};

// Spreads workers' starting points over a cycle of `length` so that N workers that start
// together do not all send their first request to the same target. Worker 0 starts at 0,
// which keeps single-worker sequences exactly as documented.
inline uint32_t worker_phase(uint32_t worker_index, uint32_t length) {
  if (length == 0) return 0;
  // Golden-ratio stepping: successive workers land far apart for any worker count.
  const uint64_t fraction = uint64_t{worker_index} * 0x9e3779b9ULL & 0xffffffffULL;
  return static_cast<uint32_t>((fraction * length) >> 32);
}

}  // namespace fulcrum::balance
