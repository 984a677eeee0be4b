#pragma once
// The system-call side of connecting to a target: a non-blocking socket with TCP_NODELAY and
// connect(). The session owns the rest (which target, waiting, timeout, retries), because it
// is driven by readiness events rather than by waits.
#include <string>

#include "core/endpoint.hpp"

namespace fulcrum::l4 {

struct ConnectStart {
  int fd = -1;           // valid when the connect is done or in progress
  int error = 0;         // errno of socket() or connect() when it failed at once
  bool in_progress = false;
};

ConnectStart start_connect(const core::Endpoint& address);

// SO_ERROR of a socket whose connect was in progress: 0 once connected.
int connect_result(int fd);

// Words for the log: "connection refused", "connect timeout", ...
std::string describe_connect_error(int error);

}  // namespace fulcrum::l4
