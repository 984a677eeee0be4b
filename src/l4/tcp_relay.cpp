#include "l4/tcp_relay.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cerrno>

#include "core/clock.hpp"

namespace fulcrum::l4 {
namespace {

using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
using Socket = asio::ip::tcp::socket;
constexpr auto use_tuple = as_tuple(asio::use_awaitable);
constexpr size_t kSpliceChunk = 64 * 1024;

// State shared by the two directions and the idle watchdog of one relay.
struct RelayState {
  WorkerContext& context;
  Socket& client;
  Socket& target;
  RelayOptions options;
  RelayResult result;
  int64_t last_activity_ms = core::now_ms();
  int64_t started_us = core::now_us();
  int64_t first_request_us = 0;  // when the client's first bytes went to the target
  int directions_ended = 0;      // directions that ended with an orderly EOF
  bool aborted = false;

  // Called after bytes moved; notes the first request and first response times.
  void note_moved(bool from_client) {
    last_activity_ms = core::now_ms();
    if (from_client) {
      if (first_request_us == 0) first_request_us = core::now_us();
    } else if (result.first_response_us < 0) {
      result.first_response_us = core::now_us() - (first_request_us != 0 ? first_request_us : started_us);
    }
  }

  void abort(std::string_view reason) {
    if (aborted) return;
    aborted = true;
    if (result.close_reason.empty()) result.close_reason = reason;
    asio::error_code ignored;
    client.cancel(ignored);
    target.cancel(ignored);
  }
};

enum class Side { client, target };

// Waits until the socket is ready; false when the relay was aborted meanwhile.
asio::awaitable<bool> wait_ready(RelayState& state, Socket& socket, Socket::wait_type type) {
  auto [ec] = co_await socket.async_wait(type, use_tuple);
  co_return !ec && !state.aborted;
}

// Writes all of [data, data+size) to `to`; false on error (the relay is then aborted).
// `more` (MSG_MORE) holds the bytes back for the FIN that follows at once, so that data and FIN
// leave in one segment.
asio::awaitable<bool> write_all(RelayState& state, Side to_side, Socket& to, const char* data, size_t size,
                                bool more) {
  const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
  while (size > 0) {
    ssize_t n = ::send(to.native_handle(), data, size, flags);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!co_await wait_ready(state, to, Socket::wait_write)) co_return false;
      continue;
    }
    state.abort(to_side == Side::client ? "client_reset" : "target_reset");
    co_return false;
  }
  co_return true;
}

// Moves the bytes waiting in the pipe to `to`.
asio::awaitable<bool> drain_pipe(RelayState& state, Side to_side, Socket& to, Pipe& pipe, size_t& pending) {
  while (pending > 0) {
    ssize_t n = ::splice(pipe.read_fd, nullptr, to.native_handle(), nullptr, pending,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      pending -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!co_await wait_ready(state, to, Socket::wait_write)) co_return false;
      continue;
    }
    state.abort(to_side == Side::client ? "client_reset" : "target_reset");
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> pump(RelayState& state, Side from_side) {
  Socket& from = from_side == Side::client ? state.client : state.target;
  Socket& to = from_side == Side::client ? state.target : state.client;
  const Side to_side = from_side == Side::client ? Side::target : Side::client;
  uint64_t& counter = from_side == Side::client ? state.result.client_to_target : state.result.target_to_client;
  const int from_fd = from.native_handle();
  Pipe pipe;
  size_t pipe_pending = 0;
  bool eof = false;

  while (!state.aborted) {
    if (pipe) {
      ssize_t n = ::splice(from_fd, nullptr, pipe.write_fd, nullptr, kSpliceChunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        counter += static_cast<uint64_t>(n);
        state.note_moved(from_side == Side::client);
        pipe_pending = static_cast<size_t>(n);
        if (!co_await drain_pipe(state, to_side, to, pipe, pipe_pending)) break;
        continue;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        state.abort(from_side == Side::client ? "client_reset" : "target_reset");
        break;
      }
    } else {
      // Speculative reads first: data has often arrived already, which saves a trip through
      // the event loop. Read until the socket has nothing more (or the buffer is full) before
      // writing: the read that finds nothing is needed anyway before waiting, and one that
      // finds the end of the stream lets the data and the FIN go out as one segment (for a
      // short answer followed by a close, that is half the packets and wake-ups). The buffer
      // is borrowed only while bytes are in flight.
      auto buffer = state.context.buffers.borrow();
      size_t filled = 0;
      bool failed = false;
      while (filled < buffer.size()) {
        ssize_t n = ::recv(from_fd, buffer.data() + filled, buffer.size() - filled, MSG_DONTWAIT);
        if (n > 0) {
          filled += static_cast<size_t>(n);
          continue;
        }
        if (n == 0) {
          eof = true;
        } else if (errno == EINTR) {
          continue;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
          failed = true;
        }
        break;
      }
      if (filled > 0) {
        counter += filled;
        state.note_moved(from_side == Side::client);
        if (!co_await write_all(state, to_side, to, buffer.data(), filled, eof)) break;
      }
      if (failed) {
        state.abort(from_side == Side::client ? "client_reset" : "target_reset");
        break;
      }
      if (eof) break;
      if (filled == buffer.size()) {
        if (state.options.use_splice && !pipe) {
          pipe = state.context.pipes.take();  // bulk transfer: move the rest by splice
          if (pipe) {
            // splice() honours the sockets' O_NONBLOCK, not MSG_DONTWAIT: set it now, and
            // only for connections that move bulk data (two syscalls saved on all others).
            asio::error_code ignored;
            from.native_non_blocking(true, ignored);
            to.native_non_blocking(true, ignored);
            state.result.spliced = true;
          }
        }
        continue;
      }
      // Here the last read found nothing more for now: wait for the next bytes.
    }
    if (!co_await wait_ready(state, from, Socket::wait_read)) break;
  }

  state.context.pipes.give_back(pipe, pipe_pending == 0);
  if (eof && !state.aborted) {
    // Half-close: the other side learns that no more bytes come, and may still answer. When the
    // other direction has already ended, both sockets are closed next anyway: close() sends
    // the FIN and the shutdown() would be a wasted syscall.
    if (++state.directions_ended < 2) ::shutdown(to.native_handle(), SHUT_WR);
    if (state.result.close_reason.empty()) {
      state.result.close_reason = from_side == Side::client ? "client_close" : "target_close";
    }
  }
}

asio::awaitable<void> both_directions(RelayState& state) {
  co_await (pump(state, Side::client) && pump(state, Side::target));
}

asio::awaitable<void> idle_watchdog(RelayState& state) {
  asio::steady_timer timer(state.context.loop());
  const int64_t idle_ms = state.options.idle_timeout.count();
  for (;;) {
    int64_t deadline = state.last_activity_ms + idle_ms;
    int64_t now = core::now_ms();
    if (now >= deadline) {
      state.abort("idle_timeout");
      co_return;
    }
    timer.expires_after(std::chrono::milliseconds(deadline - now));
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) co_return;  // the relay finished and cancelled us
  }
}

}  // namespace

asio::awaitable<RelayResult> relay(WorkerContext& context, Socket& client, Socket& target, RelayOptions options) {
  RelayState state{context, client, target, options, RelayResult{}};
  co_await (both_directions(state) || idle_watchdog(state));
  co_return state.result;
}

}  // namespace fulcrum::l4
