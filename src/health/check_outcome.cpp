#include "health/check_outcome.hpp"

#include <cerrno>
#include <cstring>

namespace fulcrum::health {

std::string describe_socket_error(int error) {
  switch (error) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    default: return std::strerror(error);
  }
}

std::string format_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

}  // namespace fulcrum::health
