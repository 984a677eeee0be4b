#include "balance/resource_based.hpp"

#include <algorithm>
#include <array>

#include "balance/group_state.hpp"
#include "balance/least_score.hpp"

namespace fulcrum::balance {
namespace {

// 1 / headroom for every load in permille, so that scoring a candidate needs no division.
constexpr std::array<double, 1001> make_inverse_headroom() {
  std::array<double, 1001> table{};
  for (uint32_t load = 0; load <= 1000; ++load) {
    const double headroom = static_cast<double>(1000 - load) / 1000.0;
    table[load] = 1.0 / (headroom > kMinHeadroom ? headroom : kMinHeadroom);
  }
  return table;
}
constexpr std::array<double, 1001> kInverseHeadroom = make_inverse_headroom();

class ResourceBasedPicker final : public Picker {
 public:
  ResourceBasedPicker(std::shared_ptr<const GroupState> state, uint32_t worker_index)
      : state_(std::move(state)), cursor_(worker_phase(worker_index, state_->candidates.size())) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const int64_t now_ms = request.now_ms;
    const int64_t max_age_ms = state_->options.load_report_max_age_ms;
    return pick_least_score(state_->candidates, cursor_, request, [=](const Candidate& candidate) {
      return weighted_connections_score(candidate) * inverse_headroom(*candidate.counters, now_ms, max_age_ms);
    });
  }

 private:
  static double inverse_headroom(const TargetCounters& counters, int64_t now_ms, int64_t max_age_ms) {
    const int64_t reported_at = counters.load_reported_at_ms.load(std::memory_order_relaxed);
    // A report from the caller's future (clocks of different threads) still counts as fresh.
    if (reported_at < 0 || now_ms - reported_at > max_age_ms) return 1.0 / kStaleHeadroom;
    const uint32_t load = counters.reported_load_permille.load(std::memory_order_relaxed);
    return kInverseHeadroom[std::min<uint32_t>(load, 1000)];
  }

  std::shared_ptr<const GroupState> state_;
  uint32_t cursor_;
};

}  // namespace

std::unique_ptr<PickerFactory> make_resource_based_factory(std::shared_ptr<const TargetSet> set,
                                                           const Options& options) {
  return std::make_unique<FactoryOf<GroupState, ResourceBasedPicker>>(
      std::make_shared<const GroupState>(std::move(set), options));
}

}  // namespace fulcrum::balance
