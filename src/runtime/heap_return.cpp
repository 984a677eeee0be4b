#include "runtime/heap_return.hpp"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "core/log.hpp"

namespace fulcrum::runtime {
namespace {

// Resident pages of this process, from /proc/self/statm (second field), in bytes.
std::size_t resident_bytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%lu %lu", &size, &resident);
  std::fclose(statm);
  return read == 2 ? resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

void HeapReturn::tick() {
  // On each worker's own thread: its pool is not shared. What they unmap shows in the next read.
  for (upstream::WorkerHome* home : homes_) {
    if (home->buffers.holds_more_than_cached()) home->worker.post([home] { home->buffers.release_unused(); });
  }
  const std::size_t free_bytes = mallinfo2().fordblks;
  if (free_bytes < baseline_free_) baseline_free_ = free_bytes;  // reused since: the next burst counts from here
  if (free_bytes >= baseline_free_ + kTrimStep) {
    const std::size_t before = resident_bytes();
    malloc_trim(0);
    const std::size_t after = resident_bytes();
    const std::size_t returned = before > after ? before - after : 0;
    returned_ += returned;
    baseline_free_ = free_bytes;
    core::LogLine(core::LogLevel::debug, "memory.returned")
        .field("free_in_heap_bytes", static_cast<uint64_t>(free_bytes))
        .field("returned_bytes", static_cast<uint64_t>(returned))
        .field("resident_bytes", static_cast<uint64_t>(after))
        .emit();
  }
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) tick();
  });
}

}  // namespace fulcrum::runtime
