#pragma once
// Closing a listening socket whose descriptor another process also holds (the successor of a
// hot binary upgrade). epoll forgets a descriptor on close() only when the last descriptor of
// its socket closes, and Asio relies on that (it skips EPOLL_CTL_DEL when closing): the loop
// would go on receiving readiness events for a socket it no longer has, naming freed state.
// release() takes it out of the epoll set first; then the descriptor is ours to close.
#include <unistd.h>

#include <asio/error_code.hpp>

namespace fulcrum::core {

template <class AsioSocket>
void close_shared_socket(AsioSocket& socket) {
  if (!socket.is_open()) return;
  asio::error_code ec;
  const int fd = socket.release(ec);  // cancels pending operations (operation_aborted)
  if (ec) {
    socket.close(ec);
    return;
  }
  ::close(fd);
}

}  // namespace fulcrum::core
