#include "balance/standby_tiers.hpp"

#include "balance/candidate_list.hpp"

namespace fulcrum::balance {
namespace {

class StandbyPicker final : public Picker {
 public:
  StandbyPicker(std::unique_ptr<Picker> primary, const TargetSet& set) : primary_(std::move(primary)), set_(set) {}

  std::optional<uint32_t> pick(const PickRequest& request) override {
    if (auto chosen = primary_->pick(request)) return chosen;
    // Every eligible target failed this request (or none is left): the next tiers, in order.
    for (const uint32_t target : set_.standby) {
      if (!contains(request.avoid, target)) return target;
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<Picker> primary_;
  const TargetSet& set_;
};

class StandbyFactory final : public PickerFactory {
 public:
  StandbyFactory(std::unique_ptr<PickerFactory> primary, std::shared_ptr<const TargetSet> set)
      : primary_(std::move(primary)), set_(std::move(set)) {}
  std::unique_ptr<Picker> for_worker(uint32_t worker_index) const override {
    return std::make_unique<StandbyPicker>(primary_->for_worker(worker_index), *set_);
  }
  const TargetSet& targets() const override { return primary_->targets(); }
  const PickerFactory* primary() const { return primary_.get(); }

 private:
  std::unique_ptr<PickerFactory> primary_;
  std::shared_ptr<const TargetSet> set_;
};

}  // namespace

std::unique_ptr<PickerFactory> with_standby(std::unique_ptr<PickerFactory> primary,
                                            std::shared_ptr<const TargetSet> set) {
  if (set == nullptr || set->standby.empty()) return primary;
  return std::make_unique<StandbyFactory>(std::move(primary), std::move(set));
}

const PickerFactory* primary_of(const PickerFactory* factory) {
  if (const auto* standby = dynamic_cast<const StandbyFactory*>(factory)) return standby->primary();
  return factory;
}

}  // namespace fulcrum::balance
