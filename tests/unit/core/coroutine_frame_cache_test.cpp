#include "core/coroutine_frame_cache.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <cstring>

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

}  // namespace coroutine_frame_cache_test
}  // namespace fulcrum::core
