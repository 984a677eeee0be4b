// IdleFrameMemory: the large blocks nghttp2 makes with its session live on pages of their own
// and go back to the kernel when released; what the session does afterwards is unaffected.
#include "http/h2/idle_frame_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace fulcrum::http {
namespace idle_frame_memory_test {

// Pages of [data, data + size) the kernel holds in memory.
size_t resident_pages(void* data, size_t size) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> flags((size + page - 1) / page);
  EXPECT_EQ(::mincore(data, size, flags.data()), 0);
  size_t n = 0;
  for (unsigned char f : flags) n += f & 1;
  return n;
}

TEST(IdleFrameMemory, BlocksMadeWithTheSessionAreReleasedOthersAreNot) {
  IdleFrameMemory memory;
  nghttp2_mem* mem = memory.mem();
  // As nghttp2 makes its frame buffer: realloc(NULL, 16394).
  void* frame_buffer = mem->realloc(nullptr, 16394, mem->mem_user_data);
  void* small = mem->malloc(100, mem->mem_user_data);
  ASSERT_NE(frame_buffer, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(frame_buffer) % static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE)), 0u);
  EXPECT_EQ(memory.releasable_bytes(), 20480u);
  memory.session_made();
  void* later = mem->malloc(32768, mem->mem_user_data);  // a long header value being decoded
  EXPECT_EQ(memory.releasable_bytes(), 20480u);

  std::memset(frame_buffer, 'x', 16394);
  std::memset(later, 'y', 32768);
  EXPECT_EQ(resident_pages(frame_buffer, 20480), 5u);
  memory.release();
  EXPECT_EQ(resident_pages(frame_buffer, 20480), 0u);
  EXPECT_EQ(static_cast<unsigned char*>(frame_buffer)[0], 0);  // faulted in again, zero-filled
  EXPECT_EQ(static_cast<unsigned char*>(later)[32767], 'y');   // untouched

  mem->free(later, mem->mem_user_data);
  mem->free(small, mem->mem_user_data);
  mem->free(frame_buffer, mem->mem_user_data);
  EXPECT_EQ(memory.releasable_bytes(), 0u);
}

}  // namespace idle_frame_memory_test
}  // namespace fulcrum::http
