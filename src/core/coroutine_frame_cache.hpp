#pragma once
// Recycles Asio's coroutine frames per thread, whatever their size.
//
// Why: every `co_await f()` on an asio::awaitable allocates f's frame. Asio recycles frames
// through thread_info_base, but only those of at most 1,020 bytes (a one-byte chunk count) and
// only two of them per thread, and a larger request throws a cached one away. The proxy's
// per-request coroutines are bigger (ProxySession::serve_one's frame is ~7 KiB, serve()'s
// ~3.4 KiB), so each keep-alive request cost malloc/free pairs in glibc's slow bins
// (_int_malloc, unlink_chunk): ~2 % of a worker's time in the TLS keep-alive profile, and an
// allocation per request on the hot path, which DESIGN.md rules out.
//
// How: this header declares explicit specializations of thread_info_base::allocate and
// deallocate for awaitable frames; coroutine_frame_cache.cpp defines them with per-thread free
// lists by power-of-two size class (64 B .. 16 KiB). A thread keeps 1 MiB of them for good;
// what a burst leaves beyond that is freed once a second passes without it
// (release_unused_coroutine_frames). Frames of a page or more are mapped pages of their own.
// CMake force-includes this header into every translation unit (-include) so that no unit
// instantiates Asio's own version for frames: allocation and release must agree everywhere.
// Built with AddressSanitizer, kept blocks are poisoned (but for their free-list link), so that
// ASan still reports a use of a frame after its coroutine ended.
#include <asio/detail/thread_info_base.hpp>
#include <asio/version.hpp>
#include <cstddef>

static_assert(ASIO_DEFAULT_ALIGN <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
              "coroutine frames come from operator new, aligned to __STDCPP_DEFAULT_NEW_ALIGNMENT__");
static_assert(ASIO_VERSION == 102201,
              "coroutine_frame_cache specializes Asio 1.22.1's thread_info_base: check it against this Asio");

namespace asio::detail {
template <>
void* thread_info_base::allocate<thread_info_base::awaitable_frame_tag>(awaitable_frame_tag, thread_info_base*,
                                                                        std::size_t size, std::size_t align);
template <>
void thread_info_base::deallocate<thread_info_base::awaitable_frame_tag>(awaitable_frame_tag, thread_info_base*,
                                                                         void* pointer, std::size_t size);
}  // namespace asio::detail

namespace fulcrum::core {
// Bytes of frames this thread keeps for reuse.
std::size_t coroutine_frame_bytes_cached();
// This thread keeps more than its 1 MiB budget of frames (after a burst of requests).
bool coroutine_frames_over_budget();
// Frees the frames this thread keeps beyond its budget that no coroutine needed since the last
// call (a worker calls it once a second while over budget). Returns the bytes freed.
std::size_t release_unused_coroutine_frames();
}  // namespace fulcrum::core
