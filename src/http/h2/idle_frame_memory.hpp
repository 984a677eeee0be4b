#pragma once
// nghttp2's memory, given so that an idle connection holds less of it. nghttp2 keeps a 16 KiB
// buffer per session to serialise outgoing frames (its first frame-buffer chunk, made when the
// session is) whether or not anything is being sent: most of what an idle HTTP/2 connection
// costs. This allocator hands nghttp2 the large blocks it asks for while the session is being
// made on whole pages of their own; once the connection is idle with nothing left to send,
// release() gives those pages back to the kernel (madvise MADV_DONTNEED: the memory stays
// mapped and reads back as zeros), and the next frame written faults them in again. Nothing
// is kept in that buffer between frames, so the zeros are never read as data. Blocks made
// later (a long header value being decoded, a large frame) are ordinary and never released.
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <vector>

namespace fulcrum::http {

class IdleFrameMemory {
 public:
  static constexpr size_t kLargeBytes = 8 * 1024;  // blocks from this size get pages of their own

  IdleFrameMemory();
  IdleFrameMemory(const IdleFrameMemory&) = delete;
  IdleFrameMemory& operator=(const IdleFrameMemory&) = delete;

  // For nghttp2_session_server_new3; valid as long as this object.
  nghttp2_mem* mem() { return &mem_; }
  // The session is made: from now on large blocks are ordinary allocations.
  void session_made() { collecting_ = false; }
  // The pages of the blocks kept at construction go back to the kernel. Only when nghttp2 has
  // nothing serialised and unsent.
  void release();
  size_t releasable_bytes() const;

 private:
  struct Block {
    void* data;
    size_t size;  // rounded to whole pages
  };
  static void* allocate(size_t size, void* self);
  static void deallocate(void* pointer, void* self);
  static void* allocate_zeroed(size_t count, size_t size, void* self);
  static void* reallocate(void* pointer, size_t size, void* self);
  Block* find(void* pointer);

  nghttp2_mem mem_;
  std::vector<Block> blocks_;
  bool collecting_ = true;
};

}  // namespace fulcrum::http
