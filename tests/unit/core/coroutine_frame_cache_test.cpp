#include "core/coroutine_frame_cache.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>
#include <vector>

namespace fulcrum::core {
namespace coroutine_frame_cache_test {

// A coroutine whose frame is far above the 1,020 bytes Asio's own recycler keeps: the buffer
// lives across a suspension, so it is in the frame.
asio::awaitable<size_t> big_frame(size_t* cached_inside) {
  char buffer[5000];
  std::memset(buffer, 'x', sizeof buffer);
  co_await asio::post(asio::use_awaitable);
  *cached_inside = coroutine_frame_bytes_cached();
  co_return static_cast<size_t>(buffer[sizeof buffer - 1]);
}

size_t run_once(size_t* cached_inside) {
  asio::io_context loop;
  size_t result = 0;
  asio::co_spawn(
      loop, [&]() -> asio::awaitable<void> { result = co_await big_frame(cached_inside); }, asio::detached);
  loop.run();
  return result;
}

TEST(CoroutineFrameCache, AFinishedFrameIsKeptAndTheNextCoroutineOfItsSizeReusesIt) {
  size_t inside_first = 0;
  size_t inside_second = 0;
  ASSERT_EQ(run_once(&inside_first), static_cast<size_t>('x'));
  const size_t after_first = coroutine_frame_bytes_cached();
  // The 5,000-byte frame (an 8 KiB block) came back to this thread's cache when it ended.
  EXPECT_GE(after_first, inside_first + 8192);
  ASSERT_EQ(run_once(&inside_second), static_cast<size_t>('x'));
  // While the second one ran, its frame was the kept block: the cache held 8 KiB less than
  // after the first run; the block came back when it ended.
  EXPECT_LE(inside_second + 8192, after_first);
  EXPECT_EQ(coroutine_frame_bytes_cached(), after_first);
}

// A burst: `count` coroutines with big frames alive at once, then all ended.
void run_burst(int count) {
  asio::io_context loop;
  std::vector<size_t> inside(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    asio::co_spawn(
        loop, [&, i]() -> asio::awaitable<void> { co_await big_frame(&inside[static_cast<size_t>(i)]); },
        asio::detached);
  }
  loop.run();
}

// What a burst leaves beyond the 1 MiB budget is kept (the next burst allocates nothing) until a
// whole period passes without it; then it is freed, and the budget kept.
TEST(CoroutineFrameCache, FramesABurstLeftAreFreedOnceAPeriodPassesWithoutThem) {
  release_unused_coroutine_frames();
  release_unused_coroutine_frames();
  run_burst(300);  // 300 frames of 8 KiB at once: 2.4 MiB
  EXPECT_TRUE(coroutine_frames_over_budget()) << coroutine_frame_bytes_cached();
  const size_t after_burst = coroutine_frame_bytes_cached();
  EXPECT_EQ(release_unused_coroutine_frames(), 0u) << "the period that just ended needed them";
  run_burst(300);  // the same burst again: served from the cache
  EXPECT_EQ(coroutine_frame_bytes_cached(), after_burst);
  EXPECT_EQ(release_unused_coroutine_frames(), 0u);
  EXPECT_GT(release_unused_coroutine_frames(), 0u) << "a whole period without them";
  EXPECT_FALSE(coroutine_frames_over_budget()) << coroutine_frame_bytes_cached();
  EXPECT_GE(coroutine_frame_bytes_cached() + 16384, size_t{1} << 20) << "the budget is kept";
}

}  // namespace coroutine_frame_cache_test
}  // namespace fulcrum::core
