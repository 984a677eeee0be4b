#pragma once
// Priority tiers (SRV priorities, RFC 2782): only the lowest tier with an eligible target takes
// traffic (TargetSet::eligible); the eligible targets of the tiers above wait in
// TargetSet::standby, lowest tier first. A retry goes to them when it has avoided every eligible
// target, and so does a request's last attempt (Options::max_attempts): after failures on
// every earlier attempt the first tier is likely failing as a whole, so a tier that dies at once
// costs no request while health checks catch up and promote the next tier (the control thread
// then rebuilds the set). Within a standby tier the picks take turns.
#include <memory>

#include "balance/picker.hpp"

namespace fulcrum::balance {

// `primary` picks among set->eligible; the result also falls back to set->standby. Returns
// `primary` itself when the set has no standby targets.
std::unique_ptr<PickerFactory> with_standby(std::unique_ptr<PickerFactory> primary,
                                            std::shared_ptr<const TargetSet> set, uint32_t max_attempts);
// The algorithm's own factory behind a with_standby wrapper (or `factory` itself): what the
// next make_picker_factory reuses (ip_hash keeps its Maglev table).
const PickerFactory* primary_of(const PickerFactory* factory);

}  // namespace fulcrum::balance
