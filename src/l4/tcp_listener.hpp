#pragma once
// One worker's SO_REUSEPORT listening socket of a `protocol: tcp` listener, accepting through
// the worker's ReadinessLoop: accept4() hands out non-blocking sockets with the peer address,
// so a new connection costs no FIONBIO and no getpeername, and starts a TcpSession.
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <optional>
#include <string>

#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

class TcpListener final : public core::ReadinessLoop::Handler {
 public:
  // Takes ownership of `fd`: bound and listening.
  TcpListener(WorkerContext& context, size_t listener_index, int fd);
  ~TcpListener() override;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // On the worker's thread.
  bool start(std::string& error);
  // Stops accepting (the kernel refuses new connections on this socket); on the worker's thread.
  void close();
  // Drops the retry timer; before the worker's loop is destroyed.
  void release_io() { retry_.reset(); }

  void on_ready(uint32_t events, unsigned tag) override;
  int fd() const { return fd_; }  // the listening socket (handed to a hot upgrade's successor)

 private:
  void accept_all();

  WorkerContext& context_;
  size_t listener_index_;
  int fd_;
  std::optional<asio::steady_timer> retry_;
};

}  // namespace fulcrum::l4
