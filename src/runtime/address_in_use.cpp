#include "runtime/address_in_use.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fulcrum::runtime {

std::optional<std::string> address_in_use(const core::Endpoint& address, bool datagram) {
  if (address.port() == 0) return std::nullopt;
  const int fd = ::socket(address.family(), (datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("cannot create a socket: ") + std::strerror(errno);
  // TCP: SO_REUSEADDR as the real sockets have, so connections of an earlier run still in
  // TIME_WAIT do not count; a listening socket does. UDP has no TIME_WAIT, and there
  // SO_REUSEADDR would share the port, so the probe goes without it.
  if (!datagram) {
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  std::optional<std::string> reason;
  if (::bind(fd, address.address(), address.length) != 0) {
    reason = errno == EADDRINUSE ? std::string("already in use by another process (is Fulcrum already running? "
                                               "`fulcrum run --upgrade` takes over a running one's sockets)")
                                 : std::string(std::strerror(errno));
  }
  ::close(fd);
  return reason;
}

}  // namespace fulcrum::runtime
