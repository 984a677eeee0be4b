#include "core/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace fulcrum::core {
namespace buffer_pool_test {

std::vector<BufferPool::Lease> borrow_many(BufferPool& pool, size_t count) {
  std::vector<BufferPool::Lease> leases;
  for (size_t i = 0; i < count; ++i) {
    leases.push_back(pool.borrow());
    std::memset(leases.back().data(), 'x', BufferPool::kBufferSize);  // every byte writable
  }
  return leases;
}

TEST(BufferPool, AReturnedBufferIsTheNextOneBorrowed) {
  BufferPool pool(4);
  char* first = nullptr;
  {
    auto lease = pool.borrow();
    first = lease.data();
  }
  EXPECT_EQ(pool.cached(), 1u);
  EXPECT_EQ(pool.borrow().data(), first);
}

// After a burst, the buffers beyond the cache that a whole period did not need go back to the
// system; those the last period used stay.
TEST(BufferPool, ABurstsBuffersBeyondTheCacheGoBackOnceAPeriodPassesWithoutThem) {
  BufferPool pool(8);
  borrow_many(pool, 100);  // the burst, given back at once
  EXPECT_EQ(pool.cached(), 100u);
  EXPECT_EQ(pool.release_unused(), 0u) << "the period that just ended needed them all";
  EXPECT_EQ(pool.cached(), 100u);
  EXPECT_EQ(pool.release_unused(), 92u) << "a whole period without them";
  EXPECT_EQ(pool.cached(), 8u);
  EXPECT_EQ(pool.release_unused(), 0u) << "the cache is kept";
}

// Steady load above the cache: each period borrows 50 at once, so 50 stay (no map and unmap per
// request), and only what no period needs goes.
TEST(BufferPool, SteadyConcurrencyAboveTheCacheKeepsWhatItUses) {
  BufferPool pool(8);
  borrow_many(pool, 80);
  pool.release_unused();
  for (int period = 0; period < 3; ++period) {
    borrow_many(pool, 50);
    const size_t released = pool.release_unused();
    if (period == 0) {
      EXPECT_EQ(released, 30u) << "80 were free, 50 were needed: 30 stayed free all along";
    } else {
      EXPECT_EQ(released, 0u);
    }
    EXPECT_EQ(pool.cached(), 50u);
  }
}

}  // namespace buffer_pool_test
}  // namespace fulcrum::core
