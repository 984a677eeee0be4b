// make_picker_factory: the one switch from Options::algorithm to an algorithm's factory.
#include "balance/ip_hash.hpp"
#include "balance/least_connections.hpp"
#include "balance/least_response_time.hpp"
#include "balance/picker.hpp"
#include "balance/random_two_choices.hpp"
#include "balance/resource_based.hpp"
#include "balance/round_robin.hpp"
#include "balance/standby_tiers.hpp"
#include "balance/weighted_least_connections.hpp"
#include "balance/weighted_round_robin.hpp"

namespace fulcrum::balance {

namespace {

std::unique_ptr<PickerFactory> make_algorithm_factory(std::shared_ptr<const TargetSet> set, const Options& options,
                                                      const PickerFactory* previous) {
  switch (options.algorithm) {
    case Algorithm::round_robin:
      return make_round_robin_factory(std::move(set), options, previous);
    case Algorithm::weighted_round_robin:
      return make_weighted_round_robin_factory(std::move(set), options, previous);
    case Algorithm::ip_hash:
      return make_ip_hash_factory(std::move(set), options, previous);
    case Algorithm::least_connections:
      return make_least_connections_factory(std::move(set), options);
    case Algorithm::weighted_least_connections:
      return make_weighted_least_connections_factory(std::move(set), options);
    case Algorithm::least_response_time:
      return make_least_response_time_factory(std::move(set), options);
    case Algorithm::resource_based:
      return make_resource_based_factory(std::move(set), options);
    case Algorithm::random_two_choices:
      return make_random_two_choices_factory(std::move(set), options);
  }
  return make_weighted_round_robin_factory(std::move(set), options);  // an out-of-range enum value
}

}  // namespace

std::unique_ptr<PickerFactory> make_picker_factory(std::shared_ptr<const TargetSet> set,
                                                   const Options& options,
                                                   const PickerFactory* previous) {
  if (set == nullptr) set = std::make_shared<const TargetSet>();  // no targets: every pick is nullopt
  auto primary = make_algorithm_factory(set, options, primary_of(previous));
  return with_standby(std::move(primary), std::move(set), options.max_attempts);
}

}  // namespace fulcrum::balance
