#pragma once
// Priority tiers (SRV priorities, RFC 2782): only the lowest tier with an eligible target takes
// traffic (TargetSet::eligible); the eligible targets of the tiers above wait in
// TargetSet::standby, lowest tier first. A request whose retries have avoided every eligible
// target goes on to the standby ones, so a tier that dies all at once costs no request while
// health checks catch up and promote the next tier (the control thread then rebuilds the set).
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

// `primary` picks among set->eligible; the result also falls back to set->standby. Returns
// `primary` itself when the set has no standby targets.
std::unique_ptr<PickerFactory> with_standby(std::unique_ptr<PickerFactory> primary,
                                            std::shared_ptr<const TargetSet> set);
// The algorithm's own factory behind a with_standby wrapper (or `factory` itself): what the
// next make_picker_factory reuses (ip_hash keeps its Maglev table).
const PickerFactory* primary_of(const PickerFactory* factory);

}  // namespace fulcrum::balance
