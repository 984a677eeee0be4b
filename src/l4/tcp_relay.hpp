#pragma once
// One direction of a TCP relay (client -> target or target -> client), driven by readiness
// flags rather than by waits, so that a session advances both directions from whichever
// event arrives (edge-triggered: a flag stays set until an operation answers EAGAIN).
//
// Copy first: reads into a pooled 16 KiB buffer until the socket has nothing more (the read
// that finds nothing is needed anyway before waiting), then one send; for small exchanges
// that is the minimum of system calls. When a read fills the buffer the transfer is bulk and
// the direction switches to splice() through a pooled pipe: the bytes never enter user space.
// The buffer is held only while bytes are in flight, so an idle connection holds none.
// EOF is passed on as a half-close (shutdown SHUT_WR); when the end of the stream is seen
// together with the last bytes, they go out with MSG_MORE so that data and FIN share one
// segment.
#include <cstddef>
#include <cstdint>

#include "core/buffer_pool.hpp"
#include "l4/pipe_pool.hpp"

namespace fulcrum::l4 {

// Readiness of one socket, as last reported by epoll and not yet contradicted by EAGAIN.
struct SocketReadiness {
  int fd = -1;
  bool readable = false;
  bool writable = false;
  // The peer's end was announced (EPOLLRDHUP/HUP/ERR): read until EOF, not just until a short
  // read (the data and its FIN may have come with one event).
  bool peer_closing = false;
};

struct RelayDirection {
  // yielded: the budget is spent and more may be ready; the session continues later, after
  // the worker's other connections had their turn.
  enum class Step { blocked, yielded, ended, failed_reading, failed_writing };

  core::BufferPool::Lease buffer;  // bytes [begin, end) wait to be written
  size_t begin = 0;
  size_t end = 0;
  Pipe pipe;
  size_t pipe_pending = 0;  // bytes in the pipe not yet written
  bool eof = false;         // the source has ended; a half-close is owed once all is written
  bool ended = false;       // done: every byte written and the half-close passed on
  bool moved = false;       // set whenever bytes moved; the session clears it
  bool spliced = false;     // switched to splice() at some point (for the access log)
  uint64_t bytes = 0;       // read from the source

  // Moves what it can from `from` to `to`. `pass_half_close`: shut down `to` for writing at
  // the end (false when the other direction has ended too: the close that follows sends the
  // FIN anyway). `budget`: bytes it may read in this call, so that one fast connection cannot
  // hold the worker (both ends of a bulk transfer on loopback are always ready). Switches to
  // splice for bulk when a pipe can be had.
  Step pump(SocketReadiness& from, SocketReadiness& to, core::BufferPool& buffers, PipePool& pipes,
            bool pass_half_close, size_t budget);

  // Gives pooled resources back (a pipe that still holds bytes is closed, not reused).
  void release(PipePool& pipes);
};

}  // namespace fulcrum::l4
