#include "balance/standby_tiers.hpp"

#include "balance/candidate_list.hpp"

namespace fulcrum::balance {
namespace {

class StandbyPicker final : public Picker {
 public:
  StandbyPicker(std::unique_ptr<Picker> primary, std::shared_ptr<const TargetSet> set, uint32_t max_attempts)
      : primary_(std::move(primary)), set_(std::move(set)), max_attempts_(max_attempts) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    const bool last_attempt = max_attempts_ > 1 && request.avoid.size() + 1 >= max_attempts_;
    if (!last_attempt) {
      if (auto chosen = primary_->pick(request)) return chosen;
    }
    // Every eligible target failed this request, or this is its last chance: the next tiers,
    // in order, taking turns within each.
    for (const auto& tier : set_->standby) {
      for (size_t i = 0; i < tier.size(); ++i) {
        const uint32_t target = tier[(turn_ + i) % tier.size()];
        if (!contains(request.avoid, target)) {
          ++turn_;
          return target;
        }
      }
    }
    if (last_attempt) return primary_->pick(request);
    return std::nullopt;
  }

 private:
  std::unique_ptr<Picker> primary_;
  std::shared_ptr<const TargetSet> set_;
  uint32_t max_attempts_;
  size_t turn_ = 0;
};

class StandbyFactory final : public PickerFactory {
 public:
  StandbyFactory(std::unique_ptr<PickerFactory> primary, std::shared_ptr<const TargetSet> set, uint32_t max_attempts)
      : primary_(std::move(primary)), set_(std::move(set)), max_attempts_(max_attempts) {}
  std::unique_ptr<Picker> for_worker(uint32_t worker_index) const override {
    return std::make_unique<StandbyPicker>(primary_->for_worker(worker_index), set_, max_attempts_);
  }
  const TargetSet& targets() const override { return primary_->targets(); }
  const PickerFactory* primary() const { return primary_.get(); }

 private:
  std::unique_ptr<PickerFactory> primary_;
  std::shared_ptr<const TargetSet> set_;
  uint32_t max_attempts_;
};

}  // namespace

std::unique_ptr<PickerFactory> with_standby(std::unique_ptr<PickerFactory> primary,
                                            std::shared_ptr<const TargetSet> set, uint32_t max_attempts) {
  if (set == nullptr || set->standby.empty()) return primary;
  return std::make_unique<StandbyFactory>(std::move(primary), std::move(set), max_attempts);
}

const PickerFactory* primary_of(const PickerFactory* factory) {
  if (const auto* standby = dynamic_cast<const StandbyFactory*>(factory)) return standby->primary();
  return factory;
}

}  // namespace fulcrum::balance
