#include "core/coroutine_frame_cache.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <new>

#include "core/mapped_pages.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace {

constexpr std::size_t kSmallestClass = 64;     // 2^6
constexpr std::size_t kLargestClass = 16384;   // 2^14: larger frames go to new/delete
constexpr int kClasses = 9;                    // 64, 128, ..., 16384
// What a thread keeps for good: the frames of ~80 requests in flight at once (~13 KiB each).
// Beyond it, frames are kept too, so that a worker with thousands of requests in flight, steadily,
// allocates none; release_unused_coroutine_frames() frees, once a second, those beyond this that
// the last second did not need, so that what a burst made leaves after it. kMostKeptBytes bounds
// the rest.
constexpr std::size_t kKeptBytes = std::size_t{1} << 20;
constexpr std::size_t kMostKeptBytes = std::size_t{256} << 20;
// Frames of a page or more are pages of their own (core/mapped_pages.hpp), but under
// AddressSanitizer.
constexpr bool kMapLargeFrames = !fulcrum::core::kAddressSanitizer;

struct FreeBlock {
  FreeBlock* next;
};

// Built with AddressSanitizer, a kept block is poisoned but for its link, so that a use of a
// frame after its coroutine ended is still reported. (Sending frames straight to new/delete
// there instead filled ASan's quarantine with every frame of a long stream: 75 MiB of RSS
// growth over 1 GiB proxied in HttpProxy.OneGibibyteUpAndDownWithFlatMemory.)
#if defined(__SANITIZE_ADDRESS__)
void poison(FreeBlock* block, std::size_t bytes) {
  ASAN_POISON_MEMORY_REGION(reinterpret_cast<char*>(block) + sizeof(FreeBlock), bytes - sizeof(FreeBlock));
}
void unpoison(void* block, std::size_t bytes) { ASAN_UNPOISON_MEMORY_REGION(block, bytes); }
#else
void poison(FreeBlock*, std::size_t) {}
void unpoison(void*, std::size_t) {}
#endif

void* new_block(std::size_t bytes) {
  if (!kMapLargeFrames || bytes < fulcrum::core::kPageBytes) return ::operator new(bytes);
  return fulcrum::core::map_pages(bytes);
}

void delete_block(void* block, std::size_t bytes) {
  if (!kMapLargeFrames || bytes < fulcrum::core::kPageBytes) {
    ::operator delete(block);
  } else {
    fulcrum::core::unmap_pages(block, bytes);
  }
}

// Trivially destructible, so that it stays usable until the thread ends, even for frames freed
// by other thread_local or static destructors; the drain below empties it at thread exit.
struct FrameCache {
  std::array<FreeBlock*, kClasses> heads;
  std::array<std::size_t, kClasses> counts;  // blocks in each list
  std::array<std::size_t, kClasses> fewest;  // the fewest in each list since the last release
  std::size_t kept_bytes;
  bool closed;  // the thread is ending: no more keeping
};

thread_local FrameCache cache{};

struct FrameCacheDrain {
  ~FrameCacheDrain() {
    cache.closed = true;
    for (int c = 0; c < kClasses; ++c) {
      while (FreeBlock* block = cache.heads[c]) {
        cache.heads[c] = block->next;
        unpoison(block, kSmallestClass << c);
        delete_block(block, kSmallestClass << c);
      }
      cache.counts[c] = cache.fewest[c] = 0;
    }
    cache.kept_bytes = 0;
  }
};

thread_local FrameCacheDrain drain;

// The class of a frame of `size` bytes: 0 for up to 64 bytes, 1 up to 128, ...
int class_of(std::size_t size) {
  const std::size_t rounded = std::bit_ceil(size < kSmallestClass ? kSmallestClass : size);
  return std::countr_zero(rounded) - std::countr_zero(kSmallestClass);
}

}  // namespace

namespace asio::detail {

template <>
void* thread_info_base::allocate<thread_info_base::awaitable_frame_tag>(awaitable_frame_tag, thread_info_base*,
                                                                        std::size_t size, std::size_t align) {
  // Asio asks for ASIO_DEFAULT_ALIGN, which operator new's alignment covers (checked in the header).
  (void)align;
  if (size > kLargestClass) return ::operator new(size);
  (void)&drain;  // constructs this thread's drain, whose destructor frees what the cache keeps
  const int c = class_of(size);
  if (FreeBlock* block = cache.heads[c]) {
    cache.heads[c] = block->next;
    cache.kept_bytes -= kSmallestClass << c;
    cache.fewest[c] = std::min(cache.fewest[c], --cache.counts[c]);
    unpoison(block, kSmallestClass << c);
    return block;
  }
  cache.fewest[c] = 0;
  return new_block(kSmallestClass << c);
}

template <>
void thread_info_base::deallocate<thread_info_base::awaitable_frame_tag>(awaitable_frame_tag, thread_info_base*,
                                                                         void* pointer, std::size_t size) {
  if (size > kLargestClass) {
    ::operator delete(pointer);
    return;
  }
  const int c = class_of(size);
  if (cache.closed || cache.kept_bytes + (kSmallestClass << c) > kMostKeptBytes) {
    delete_block(pointer, kSmallestClass << c);
    return;
  }
  auto* block = static_cast<FreeBlock*>(pointer);
  block->next = cache.heads[c];
  cache.heads[c] = block;
  ++cache.counts[c];
  cache.kept_bytes += kSmallestClass << c;
  poison(block, kSmallestClass << c);
}

}  // namespace asio::detail

namespace fulcrum::core {

std::size_t coroutine_frame_bytes_cached() { return cache.kept_bytes; }

bool coroutine_frames_over_budget() { return cache.kept_bytes > kKeptBytes; }

std::size_t release_unused_coroutine_frames() {
  std::size_t freed = 0;
  // The largest first: they free the most memory per block.
  for (int c = kClasses - 1; c >= 0; --c) {
    const std::size_t bytes = kSmallestClass << c;
    std::size_t unused = cache.fewest[c];
    while (unused > 0 && cache.kept_bytes >= kKeptBytes + bytes) {
      FreeBlock* block = cache.heads[c];
      cache.heads[c] = block->next;
      --cache.counts[c];
      --unused;
      cache.kept_bytes -= bytes;
      freed += bytes;
      unpoison(block, bytes);
      delete_block(block, bytes);
    }
  }
  for (int c = 0; c < kClasses; ++c) cache.fewest[c] = cache.counts[c];
  return freed;
}

}  // namespace fulcrum::core
