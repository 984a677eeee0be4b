#include "l4/target_connector.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::l4 {

ConnectStart start_connect(const core::Endpoint& address) {
  ConnectStart start;
  // Non-blocking from birth (no FIONBIO later), as splice() needs too.
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    start.error = errno;
    return start;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, address.address(), address.length) == 0) {
    start.fd = fd;
    return start;
  }
  if (errno == EINPROGRESS) {
    start.fd = fd;
    start.in_progress = true;
    return start;
  }
  start.error = errno;
  ::close(fd);
  return start;
}

int connect_result(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

std::string describe_connect_error(int error) {
  switch (error) {
    case ECONNREFUSED: return "connection refused";
    case ETIMEDOUT: return "connect timeout";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    default: return std::strerror(error);
  }
}

}  // namespace fulcrum::l4
