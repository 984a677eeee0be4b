#pragma once
// Gives the memory a burst used back to the system once it is free again. A burst of clients
// (thousands of requests in flight at once) borrows a 16 KiB buffer each, coroutine frames and
// parser state; when they go idle the workers free all that, but their buffer pools keep what
// was given back, and glibc keeps freed memory in its arenas, so the process's resident size
// would stay at the burst's peak. Every second the control thread asks each worker whose pool
// holds more than its cache to unmap the buffers the last second did not need
// (BufferPool::release_unused; an idle worker is not woken), and reads how
// much the arenas hold free (mallinfo2): when that has grown by kTrimStep since the last trim,
// malloc_trim(0) hands every free page back (MADV_DONTNEED in every arena, not only the heap's
// top). Workers never wait on it for long: they allocate nothing per request once warm, and a
// trim of a heap this size takes about a millisecond.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <utility>
#include <vector>

#include "upstream/worker_home.hpp"

namespace fulcrum::runtime {

class HeapReturn {
 public:
  static constexpr std::size_t kTrimStep = 4 << 20;

  HeapReturn(asio::io_context& control, std::vector<upstream::WorkerHome*> homes)
      : timer_(control), homes_(std::move(homes)) {}
  void start() { tick(); }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }
  // Bytes handed back by the trims so far (resident size before minus after), for the log.
  std::size_t returned_bytes() const { return returned_; }

 private:
  void tick();

  asio::steady_timer timer_;
  std::vector<upstream::WorkerHome*> homes_;
  std::size_t baseline_free_ = 0;  // the arenas' free bytes at the last trim, or less since
  std::size_t returned_ = 0;
  bool stopped_ = false;
};

}  // namespace fulcrum::runtime
