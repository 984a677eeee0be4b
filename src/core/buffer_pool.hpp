#pragma once
// Per-worker pool of fixed-size I/O buffers. A connection borrows a buffer only while data
// is in flight and gives it back when it goes idle, so an idle connection costs its socket
// and a small session object, not a buffer (as nginx and HAProxy do). Not thread-safe by
// design: each worker owns its pool.
//
// Every buffer given back is kept for the next borrow, so that a worker with thousands of
// requests in flight, steadily, neither maps nor unmaps. Once a second release_unused() hands
// back to the system those beyond `max_cached` that no borrow needed since the last call: after
// a burst the resident size falls back within about two seconds. Buffers are pages of their
// own (mmap), not heap blocks: freed heap blocks would stay in the process, pinned between the
// small objects the burst also left (parked connections), while unmapped pages leave at once.
#include <atomic>
#include <cstddef>
#include <vector>

namespace fulcrum::core {

class BufferPool {
 public:
  static constexpr size_t kBufferSize = 16 * 1024;

  explicit BufferPool(size_t max_cached = 256) : max_cached_(max_cached) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  class Lease {
   public:
    Lease() = default;
    Lease(BufferPool* pool, char* data) : pool_(pool), data_(data) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), data_(other.data_) { other.data_ = nullptr; }
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        release();
        pool_ = other.pool_;
        data_ = other.data_;
        other.data_ = nullptr;
      }
      return *this;
    }
    ~Lease() { release(); }

    char* data() const { return data_; }
    static constexpr size_t size() { return kBufferSize; }
    explicit operator bool() const { return data_ != nullptr; }
    void release() {
      if (data_ != nullptr) pool_->give_back(data_);
      data_ = nullptr;
    }

   private:
    BufferPool* pool_ = nullptr;
    char* data_ = nullptr;
  };

  Lease borrow();
  size_t cached() const { return free_.size(); }
  // Unmaps the free buffers beyond max_cached that stayed free since the last call (the oldest
  // given back first). Returns how many.
  size_t release_unused();
  // From any thread: the pool holds free buffers beyond max_cached, which release_unused() may
  // hand back. (Idle workers are not woken to look at an empty pool.)
  bool holds_more_than_cached() const { return free_count_.load(std::memory_order_relaxed) > max_cached_; }

 private:
  void give_back(char* data);
  size_t max_cached_;
  std::vector<char*> free_;  // the most recently given back last: borrowed first
  size_t fewest_free_ = 0;   // the fewest free buffers since the last release_unused()
  std::atomic<size_t> free_count_{0};  // free_.size(), for holds_more_than_cached()
};

}  // namespace fulcrum::core
