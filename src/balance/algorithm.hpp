#pragma once
// The balancing algorithms by name: the one enum the configuration reads (`algorithm:`) and the
// pickers implement. Its own header so that config/ can name it without the picker interface.
#include <cstdint>

namespace fulcrum::balance {

enum class Algorithm : uint8_t {
  round_robin,
  weighted_round_robin,
  ip_hash,
  least_connections,
  weighted_least_connections,
  least_response_time,
  resource_based,
  random_two_choices,
};

}  // namespace fulcrum::balance
