#pragma once
// Readiness events for the descriptors the layer-4 data path drives itself, nested in the
// worker's Asio loop.
//
// Why not Asio's own sockets: Asio re-arms a descriptor with EPOLL_CTL_MOD on every
// async_wait, sets FIONBIO on each socket's first operation, and removes accepted or assigned
// sockets with EPOLL_CTL_DEL before closing them: six system calls per proxied connection
// that HAProxy does not make (docs/design/tcp-data-path.md). Here a descriptor is added once,
// edge-triggered for reading and writing, and leaves the set when it is closed.
//
// The set is one epoll descriptor of our own, watched by the Asio loop: when it is readable
// the loop calls dispatch(), which takes every ready event without blocking and hands each to
// its handler. Under load one wake-up carries many events, so the nesting costs little.
//
// Lifetime: a handler that ends (a session) calls retire(); it is deleted after the current
// batch of events, never while an event of the same batch may still name it.
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace fulcrum::core {

class ReadinessLoop {
 public:
  class Handler {
   public:
    // `events`: EPOLLIN/EPOLLOUT/EPOLLRDHUP/EPOLLHUP/EPOLLERR bits; `tag`: the one given to
    // watch() (0..7), so a handler can tell its descriptors apart.
    virtual void on_ready(uint32_t events, unsigned tag) = 0;
    virtual ~Handler() = default;
  };

  explicit ReadinessLoop(asio::io_context& loop);
  ~ReadinessLoop();
  ReadinessLoop(const ReadinessLoop&) = delete;
  ReadinessLoop& operator=(const ReadinessLoop&) = delete;

  // Adds `fd` for the rest of its life (edge-triggered). Handlers must be 8-byte aligned.
  // Returns 0 or an errno value.
  int watch(int fd, Handler* handler, unsigned tag, uint32_t events = EPOLLIN | EPOLLOUT | EPOLLRDHUP);

  // Takes `fd` out of the set before it is closed, for a descriptor that another process also
  // holds (close() removes it only when the socket's last descriptor closes).
  void unwatch(int fd);

  // Deletes `handler` once no event of the current batch can name it.
  void retire(std::unique_ptr<Handler> handler);

  // Stops watching and deletes what was retired; before the Asio loop is destroyed.
  void close();

 private:
  void arm();
  void dispatch();
  void delete_retired();

  asio::io_context& loop_;
  int epoll_fd_ = -1;
  std::optional<asio::posix::stream_descriptor> watcher_;
  std::vector<std::unique_ptr<Handler>> retired_;
  bool delete_posted_ = false;
};

}  // namespace fulcrum::core
