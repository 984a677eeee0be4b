#pragma once
// Whether another process already listens on an address Fulcrum is about to bind.
//
// Every worker binds its own SO_REUSEPORT socket, and the kernel lets any process of the same
// user do the same: a second Fulcrum started by mistake on a busy port would bind without a
// word and take a share of the first one's connections. A probe socket bound without
// SO_REUSEPORT first tells the two cases apart, so the second start fails instead, as nginx
// does. (A hot upgrade does not probe: the process it replaces holds the ports on purpose.)
#include <optional>
#include <string>

#include "core/endpoint.hpp"

namespace fulcrum::runtime {

// The reason `address` cannot be bound (in use by another socket, or the kernel's own error),
// or nothing when it is free. Port 0 is always free.
std::optional<std::string> address_in_use(const core::Endpoint& address, bool datagram);

}  // namespace fulcrum::runtime
