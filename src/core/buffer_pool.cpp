#include "core/buffer_pool.hpp"

#include <algorithm>

#include "core/mapped_pages.hpp"

namespace fulcrum::core {
namespace {

// Pages of their own (mapped_pages.hpp), but under AddressSanitizer.
char* new_buffer() {
  if constexpr (kAddressSanitizer) return new char[BufferPool::kBufferSize];
  return static_cast<char*>(map_pages(BufferPool::kBufferSize));
}

void free_buffer(char* data) {
  if constexpr (kAddressSanitizer) {
    delete[] data;
  } else {
    unmap_pages(data, BufferPool::kBufferSize);
  }
}

}  // namespace

BufferPool::~BufferPool() {
  for (char* data : free_) free_buffer(data);
}

BufferPool::Lease BufferPool::borrow() {
  if (!free_.empty()) {
    char* data = free_.back();
    free_.pop_back();
    free_count_.store(free_.size(), std::memory_order_relaxed);
    fewest_free_ = std::min(fewest_free_, free_.size());
    return Lease(this, data);
  }
  fewest_free_ = 0;
  return Lease(this, new_buffer());
}

void BufferPool::give_back(char* data) {
  free_.push_back(data);
  free_count_.store(free_.size(), std::memory_order_relaxed);
}

size_t BufferPool::release_unused() {
  const size_t beyond_cache = free_.size() > max_cached_ ? free_.size() - max_cached_ : 0;
  const size_t unused = std::min(fewest_free_, beyond_cache);
  std::for_each(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(unused), free_buffer);
  free_.erase(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(unused));
  free_count_.store(free_.size(), std::memory_order_relaxed);
  fewest_free_ = free_.size();
  return unused;
}

}  // namespace fulcrum::core
