#pragma once
// Per-worker pool of fixed-size I/O buffers. A connection borrows a buffer only while data
// is in flight and gives it back when it goes idle, so an idle connection costs its socket
// and a small session object, not a buffer (as nginx and HAProxy do). Not thread-safe by
// design: each worker owns its pool.
#include <cstddef>
#include <memory>
#include <vector>

namespace fulcrum::core {

class BufferPool {
 public:
  static constexpr size_t kBufferSize = 16 * 1024;

  explicit BufferPool(size_t max_cached = 256) : max_cached_(max_cached) {}

  class Lease {
   public:
    Lease() = default;
    Lease(BufferPool* pool, std::unique_ptr<char[]> data) : pool_(pool), data_(std::move(data)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        release();
        pool_ = other.pool_;
        data_ = std::move(other.data_);
      }
      return *this;
    }
    ~Lease() { release(); }

    char* data() const { return data_.get(); }
    static constexpr size_t size() { return kBufferSize; }
    explicit operator bool() const { return data_ != nullptr; }
    void release() {
      if (data_ && pool_) pool_->give_back(std::move(data_));
      data_.reset();
    }

   private:
    BufferPool* pool_ = nullptr;
    std::unique_ptr<char[]> data_;
  };

  Lease borrow();
  size_t cached() const { return free_.size(); }

 private:
  void give_back(std::unique_ptr<char[]> data);
  size_t max_cached_;
  std::vector<std::unique_ptr<char[]>> free_;
};

}  // namespace fulcrum::core
