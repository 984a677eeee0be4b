#include "l4/tcp_relay.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "core/would_block.hpp"

namespace fulcrum::l4 {
namespace {
constexpr size_t kSpliceChunk = kPipeBytes;  // a pipe's worth per splice()
}  // namespace

RelayDirection::Step RelayDirection::pump(SocketReadiness& from, SocketReadiness& to, core::BufferPool& buffers,
                                          PipePool& pipes, bool pass_half_close,
                                          size_t budget) {
  for (;;) {
    // 1. Write what is pending.
    if (pipe_pending > 0) {
      if (!to.writable) return Step::blocked;
      ssize_t n = ::splice(pipe.read_fd, nullptr, to.fd, nullptr, pipe_pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        pipe_pending -= static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && core::would_block(errno)) {
        to.writable = false;
        return Step::blocked;
      }
      return Step::failed_writing;
    }
    if (end > begin) {
      if (!to.writable) return Step::blocked;
      const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (eof ? MSG_MORE : 0);
      ssize_t n = ::send(to.fd, buffer.data() + begin, end - begin, flags);
      if (n > 0) {
        begin += static_cast<size_t>(n);
        if (begin == end) {
          begin = end = 0;
          buffer.release();  // idle connections hold no buffer
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && core::would_block(errno)) {
        to.writable = false;
        return Step::blocked;
      }
      return Step::failed_writing;
    }
    // 2. Everything is written: pass the end on, or read more.
    if (eof) {
      if (pass_half_close) ::shutdown(to.fd, SHUT_WR);
      ended = true;
      release(pipes);
      return Step::ended;
    }
    if (!from.readable) return Step::blocked;
    if (budget == 0) return Step::yielded;

    if (pipe) {
      ssize_t n = ::splice(from.fd, nullptr, pipe.write_fd, nullptr, kSpliceChunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        pipe_pending = static_cast<size_t>(n);
        budget -= std::min(budget, static_cast<size_t>(n));
        bytes += static_cast<uint64_t>(n);
        moved = true;
        continue;
      }
      if (n == 0) {
        eof = true;
        continue;
      }
      if (errno == EINTR) continue;
      if (core::would_block(errno)) {
        from.readable = false;
        return Step::blocked;
      }
      return Step::failed_reading;
    }

    if (!buffer) buffer = buffers.borrow();
    bool failed = false;
    while (end < buffer.size()) {
      const size_t asked = buffer.size() - end;
      ssize_t n = ::recv(from.fd, buffer.data() + end, asked, MSG_DONTWAIT);
      if (n > 0) {
        end += static_cast<size_t>(n);
        budget -= std::min(budget, static_cast<size_t>(n));
        bytes += static_cast<uint64_t>(n);
        moved = true;
        if (static_cast<size_t>(n) < asked && !from.peer_closing) {
          // A short read emptied the socket. Edge-triggered, the next byte or the FIN brings
          // a new event: the read that could only answer EAGAIN is skipped (two system calls
          // per request and response on a keep-alive relay; HAProxy skips it the same way).
          from.readable = false;
          break;
        }
        continue;
      }
      if (n == 0) {
        eof = true;
      } else if (errno == EINTR) {
        continue;
      } else if (core::would_block(errno)) {
        from.readable = false;
      } else {
        failed = true;
      }
      break;
    }
    if (failed) {
      // A reset: hand on what arrived before it if the other side takes it at once, then fail.
      if (end > begin && to.writable) ::send(to.fd, buffer.data() + begin, end - begin, MSG_NOSIGNAL | MSG_DONTWAIT);
      return Step::failed_reading;
    }
    if (end == buffer.size()) {
      // Bulk transfer: after this buffer is written, move the rest by splice. Both sockets
      // were created non-blocking, which splice() needs (it ignores MSG_DONTWAIT). Without a
      // pipe (the system refused one) the copy simply goes on.
      pipe = pipes.take();
      if (pipe) spliced = true;
    }
    if (end == begin) {
      buffer.release();
      if (!eof) return Step::blocked;
    }
  }
}

void RelayDirection::release(PipePool& pipes) {
  buffer.release();
  begin = end = 0;
  if (pipe) pipes.give_back(pipe, pipe_pending == 0);
  pipe = Pipe{};
  pipe_pending = 0;
}

}  // namespace fulcrum::l4
