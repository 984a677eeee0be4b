#pragma once
// A receive buffer borrowed from the worker's pool only while a message is in flight: the
// unread bytes are [begin, end). A head that outgrows the pooled size moves to a one-off larger
// buffer (rare: heads over 16 KiB) up to the listener's max_header_bytes.
#include <cstring>
#include <memory>
#include <string_view>

#include "core/buffer_pool.hpp"

namespace fulcrum::http {

struct RecvBuffer {
  core::BufferPool::Lease lease;
  std::unique_ptr<char[]> large;
  char* data = nullptr;
  size_t capacity = 0;
  size_t begin = 0;
  size_t end = 0;

  bool empty() const { return begin == end; }
  size_t size() const { return end - begin; }
  bool full() const { return end == capacity; }
  std::string_view view() const { return {data + begin, end - begin}; }
  char* free_space() const { return data + end; }
  size_t free_size() const { return capacity - end; }

  void ensure(core::BufferPool& pool) {
    if (data != nullptr) return;
    lease = pool.borrow();
    data = lease.data();
    capacity = core::BufferPool::kBufferSize;
    begin = end = 0;
  }
  // Gives the memory back when nothing is left to read (an idle connection holds no buffer).
  void release_if_empty() {
    if (!empty()) return;
    lease.release();
    large.reset();
    data = nullptr;
    capacity = begin = end = 0;
  }
  void consume(size_t n) {
    begin += n;
    if (begin == end) begin = end = 0;
  }
  void compact() {
    if (begin == 0) return;
    std::memmove(data, data + begin, end - begin);
    end -= begin;
    begin = 0;
  }
  void grow(size_t new_capacity) {
    if (new_capacity <= capacity) return;
    auto bigger = std::make_unique<char[]>(new_capacity);
    std::memcpy(bigger.get(), data + begin, end - begin);
    end -= begin;
    begin = 0;
    large = std::move(bigger);
    lease.release();
    data = large.get();
    capacity = new_capacity;
  }
};

}  // namespace fulcrum::http
