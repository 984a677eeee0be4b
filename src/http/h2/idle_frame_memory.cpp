#include "http/h2/idle_frame_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace fulcrum::http {
namespace {
size_t page_size() {
  static const size_t size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}
size_t whole_pages(size_t size) { return (size + page_size() - 1) / page_size() * page_size(); }
}  // namespace

IdleFrameMemory::IdleFrameMemory()
    : mem_{this, &IdleFrameMemory::allocate, &IdleFrameMemory::deallocate, &IdleFrameMemory::allocate_zeroed,
           &IdleFrameMemory::reallocate} {}

IdleFrameMemory::Block* IdleFrameMemory::find(void* pointer) {
  for (Block& block : blocks_) {
    if (block.data == pointer) return &block;
  }
  return nullptr;
}

void* IdleFrameMemory::allocate(size_t size, void* user) {
  auto& self = *static_cast<IdleFrameMemory*>(user);
  if (!self.collecting_ || size < kLargeBytes) return std::malloc(size);
  void* data = nullptr;
  const size_t rounded = whole_pages(size);
  if (::posix_memalign(&data, page_size(), rounded) != 0) return nullptr;
  self.blocks_.push_back(Block{data, rounded});
  return data;
}

void IdleFrameMemory::deallocate(void* pointer, void* user) {
  auto& self = *static_cast<IdleFrameMemory*>(user);
  if (pointer == nullptr) return;
  if (Block* block = self.find(pointer)) {
    *block = self.blocks_.back();
    self.blocks_.pop_back();
  }
  std::free(pointer);
}

void* IdleFrameMemory::allocate_zeroed(size_t count, size_t size, void* user) {
  void* data = allocate(count * size, user);
  if (data != nullptr) std::memset(data, 0, count * size);
  return data;
}

void* IdleFrameMemory::reallocate(void* pointer, size_t size, void* user) {
  auto& self = *static_cast<IdleFrameMemory*>(user);
  if (pointer == nullptr) return allocate(size, user);
  Block* block = self.find(pointer);
  if (block == nullptr) return std::realloc(pointer, size);
  if (size <= block->size) return pointer;
  // Grown past its pages: an ordinary block from now on.
  void* grown = std::malloc(size);
  if (grown == nullptr) return nullptr;
  std::memcpy(grown, pointer, block->size);
  deallocate(pointer, user);
  return grown;
}

void IdleFrameMemory::release() {
  for (const Block& block : blocks_) ::madvise(block.data, block.size, MADV_DONTNEED);
}

size_t IdleFrameMemory::releasable_bytes() const {
  size_t total = 0;
  for (const Block& block : blocks_) total += block.size;
  return total;
}

}  // namespace fulcrum::http
