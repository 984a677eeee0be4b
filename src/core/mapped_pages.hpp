#pragma once
// Memory that leaves the process the moment it is freed: anonymous pages of their own (mmap)
// rather than heap blocks. For what a burst allocates by the thousand and then frees (I/O
// buffers, big coroutine frames): freed heap blocks would stay in the process, pinned between
// the small objects the burst also left, while unmapped pages leave its resident size at once.
// Built with AddressSanitizer, callers keep to the heap, which it watches.
#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace fulcrum::core {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

inline constexpr std::size_t kPageBytes = 4096;

inline void* map_pages(std::size_t bytes) {
  void* pages = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  return pages;
}

inline void unmap_pages(void* pages, std::size_t bytes) { ::munmap(pages, bytes); }

}  // namespace fulcrum::core
