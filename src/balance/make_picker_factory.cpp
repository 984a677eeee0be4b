// make_picker_factory: the one switch from Options::algorithm to an algorithm's factory.
#include "balance/picker.hpp"
#include "balance/round_robin.hpp"
#include "balance/weighted_round_robin.hpp"

namespace fulcrum::balance {

std::unique_ptr<PickerFactory> make_picker_factory(std::shared_ptr<const TargetSet> set,
                                                   const Options& options) {
  if (set == nullptr) set = std::make_shared<const TargetSet>();  // no targets: every pick is nullopt
  switch (options.algorithm) {
    case Algorithm::round_robin:
      return make_round_robin_factory(std::move(set), options);
    case Algorithm::weighted_round_robin:
      return make_weighted_round_robin_factory(std::move(set), options);
    // Not landed yet: served by weighted round robin until their own files arrive.
    case Algorithm::ip_hash:
    case Algorithm::least_connections:
    case Algorithm::weighted_least_connections:
    case Algorithm::least_response_time:
    case Algorithm::resource_based:
    case Algorithm::random_two_choices:
      break;
  }
  return make_weighted_round_robin_factory(std::move(set), options);
}

}  // namespace fulcrum::balance
