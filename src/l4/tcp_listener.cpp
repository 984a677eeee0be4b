#include "l4/tcp_listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/would_block.hpp"
#include "l4/tcp_session.hpp"

namespace fulcrum::l4 {

TcpListener::TcpListener(WorkerContext& context, size_t listener_index, int fd)
    : context_(context), listener_index_(listener_index), fd_(fd) {}

TcpListener::~TcpListener() {
  if (fd_ >= 0) ::close(fd_);
}

bool TcpListener::start(std::string& error) {
  // Edge-triggered: accept until EAGAIN, which needs a non-blocking socket.
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) != 0 ||
      context_.readiness.watch(fd_, this, 0, EPOLLIN) != 0) {
    error = std::strerror(errno);
    return false;
  }
  // Connections already waiting are reported at once (EPOLL_CTL_ADD checks readiness), and
  // accepted on the worker's thread once its loop runs.
  return true;
}

void TcpListener::close() {
  if (fd_ < 0) return;
  // After a hot upgrade the new process holds the same socket, so close() alone would leave it
  // in this worker's set.
  context_.readiness.unwatch(fd_);
  ::close(fd_);
  fd_ = -1;
  if (retry_) retry_->cancel();
}

void TcpListener::on_ready(uint32_t, unsigned) { accept_all(); }

void TcpListener::accept_all() {
  while (fd_ >= 0) {
    core::Endpoint peer;
    peer.length = sizeof peer.storage;
    int client = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer.storage), &peer.length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client >= 0) {
      if (!context_.upstreams.ready()) {
        ::close(client);  // no configuration installed yet (cannot happen after start-up)
        continue;
      }
      security::ClientTicket ticket;
      if (!context_.admit(listener_index_, peer, ticket)) {
        // Refused before a byte is read: a reset, so that no state lingers on either side.
        linger l{1, 0};
        ::setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(client);
        continue;
      }
      start_tcp_session(context_, listener_index_, client, peer, std::move(ticket));
      continue;
    }
    const int error = errno;
    if (core::would_block(error)) return;
    if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
    // Out of descriptors or memory: say so at most once a second, and try again shortly (the
    // readiness edge has been consumed, so nothing else would wake us for the waiting ones).
    const int64_t now = core::now_ms();
    if (now - context_.last_accept_error_log_ms >= 1000) {
      context_.last_accept_error_log_ms = now;
      core::LogLine(core::LogLevel::error, "listener.accept_failed").field("reason", std::strerror(error)).emit();
    }
    if (!retry_) retry_.emplace(context_.loop());
    retry_->expires_after(std::chrono::milliseconds(50));
    retry_->async_wait([this](const std::error_code& ec) {
      if (!ec) accept_all();
    });
    return;
  }
}

}  // namespace fulcrum::l4
