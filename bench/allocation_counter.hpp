#pragma once
// Counts every byte the benchmark program allocates through operator new, so that a benchmark
// can report bytes allocated per operation (the hot paths it measures must allocate nothing):
// read allocated_bytes before and after the timed loop.
// This replaces the global operator new and delete, which may not be declared inline: include
// it in exactly one .cpp of a program (each bench/*_bench.cpp is a program of its own).
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace fulcrum::bench {
// Every allocation in this binary is counted; the timed loops must not add to it.
inline std::atomic<uint64_t> allocated_bytes{0};
// The same, by the calling thread only: a multi-threaded benchmark's threads set up and report
// while the others run, so each counts its own timed loop with this one.
inline thread_local uint64_t thread_allocated_bytes = 0;
}  // namespace fulcrum::bench

// GCC sees malloc inside operator new and free inside operator delete and warns about a
// mismatch that is in fact the whole point of this replacement.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  fulcrum::bench::allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  fulcrum::bench::thread_allocated_bytes += size;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
#pragma GCC diagnostic pop
