#include "balance/ip_hash.hpp"

#include "balance/fast_random.hpp"
#include "balance/group_state.hpp"
#include "balance/maglev_table.hpp"
#include "balance/mix.hpp"

namespace fulcrum::balance {
namespace {

// Rehashes before falling back to the first non-avoided candidate after the key's slot.
// Each probe finds a candidate with probability = candidates' share of the table, so 16 probes
// fail only when nearly every target is down.
constexpr uint32_t kMaxProbes = 16;
constexpr uint64_t kRampSalt = 0x72616d70ULL;  // "ramp"

// The table only depends on each target's key and weight, by index.
bool same_table_inputs(const TargetSet& a, const TargetSet& b) {
  if (a.targets.size() != b.targets.size()) return false;
  for (size_t i = 0; i < a.targets.size(); ++i) {
    if (a.targets[i].key != b.targets[i].key || a.targets[i].weight != b.targets[i].weight) return false;
  }
  return true;
}

struct IpHashState : GroupState {
  IpHashState(std::shared_ptr<const TargetSet> target_set, const Options& group_options,
              std::shared_ptr<const MaglevTable> reusable)
      : GroupState(std::move(target_set), group_options),
        table(reusable != nullptr ? std::move(reusable) : std::make_shared<const MaglevTable>(set->targets)) {
    for (uint32_t position = 0; position < candidates.size(); ++position) {
      candidate_weight += candidates.weight(position);
    }
  }

  std::shared_ptr<const MaglevTable> table;  // shared with the snapshots before and after
  double candidate_weight = 0;  // sum over candidates: a target's share is weight / this
};

class IpHashPicker final : public Picker {
 public:
  IpHashPicker(std::shared_ptr<const IpHashState> state, uint32_t worker_index)
      : state_(std::move(state)), random_(mix64(worker_index, state_->set->version)) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const CandidateList& candidates = state_->candidates;
    if (candidates.empty() || candidates.every_candidate_avoided(request.avoid)) return std::nullopt;
    const MaglevTable& table = *state_->table;
    // Mixed again so that a caller's poorly mixed value (a raw IPv4 address) still spreads.
    const uint64_t key = request.hash ? *request.hash : random_.next();
    const bool ramping = candidates.may_ramp(request.now_ms);
    for (uint32_t probe = 0; probe < kMaxProbes; ++probe) {
      const uint32_t target = table.owner(table.slot_of(mix64(key, probe)));
      if (!candidates.is_candidate(target) || contains(request.avoid, target)) continue;
      if (ramping && !admitted_while_ramping(key, target, request.now_ms)) continue;
      return target;
    }
    return candidates[candidates.first_not_avoided(static_cast<uint32_t>(key % candidates.size()),
                                                   request.avoid)].target;
  }

 private:
  // The key's fixed position in [0, 1) against an admission threshold that grows with the
  // ramp: the admitted keys are a growing, stable set. A rejected key never comes back to the
  // target (its probes are rejected alike), so to give the target the share of weight f x w,
  // i.e. f*s / (1 - s + f*s) for normal share s, its keys are admitted with f / (1 - s + f*s).
  bool admitted_while_ramping(uint64_t key, uint32_t target, int64_t now_ms) const {
    const Target& configured = state_->set->targets[target];
    const double factor =
        slow_start_factor(configured.healthy_since_ms, now_ms, state_->options.slow_start_ms);
    if (factor >= 1.0) return true;
    const double share = configured.weight / state_->candidate_weight;
    const double admission = factor / (1.0 - share + factor * share);
    return static_cast<double>(mix64(key, kRampSalt) >> 11) * 0x1.0p-53 < admission;
  }

  std::shared_ptr<const IpHashState> state_;
  FastRandom random_;
};

}  // namespace

std::unique_ptr<PickerFactory> make_ip_hash_factory(std::shared_ptr<const TargetSet> set,
                                                    const Options& options,
                                                    const PickerFactory* previous) {
  using IpHashFactory = FactoryOf<IpHashState, IpHashPicker>;
  std::shared_ptr<const MaglevTable> reusable;
  if (const auto* before = dynamic_cast<const IpHashFactory*>(previous)) {
    if (same_table_inputs(*before->state().set, *set)) reusable = before->state().table;
  }
  return std::make_unique<IpHashFactory>(
      std::make_shared<const IpHashState>(std::move(set), options, std::move(reusable)));
}

}  // namespace fulcrum::balance
