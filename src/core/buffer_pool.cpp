#include "core/buffer_pool.hpp"

namespace fulcrum::core {

BufferPool::Lease BufferPool::borrow() {
  if (!free_.empty()) {
    auto data = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(data));
  }
  return Lease(this, std::make_unique_for_overwrite<char[]>(kBufferSize));
}

void BufferPool::give_back(std::unique_ptr<char[]> data) {
  if (free_.size() < max_cached_) free_.push_back(std::move(data));
}

}  // namespace fulcrum::core
