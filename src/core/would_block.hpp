#pragma once
// True when a non-blocking call failed only because it would have had to wait (POSIX lets
// EAGAIN and EWOULDBLOCK differ): the caller waits for readiness instead of failing.
#include <cerrno>

namespace fulcrum::core {

inline bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

}  // namespace fulcrum::core
