#include "core/readiness_loop.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/deadline_sweep.hpp"

namespace fulcrum::core {
namespace readiness_loop_test {

struct Recorder : ReadinessLoop::Handler {
  std::vector<std::pair<uint32_t, unsigned>> seen;
  bool* deleted = nullptr;
  void on_ready(uint32_t events, unsigned tag) override { seen.emplace_back(events, tag); }
  ~Recorder() override {
    if (deleted) *deleted = true;
  }
};

void run_briefly(asio::io_context& loop) {
  loop.restart();
  loop.run_for(std::chrono::milliseconds(50));
}

TEST(ReadinessLoop, ReportsEachEdgeOnceWithTheTagGiven) {
  asio::io_context loop(1);
  ReadinessLoop readiness(loop);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
  Recorder recorder;
  ASSERT_EQ(readiness.watch(pair[0], &recorder, 5), 0);
  run_briefly(loop);
  ASSERT_EQ(recorder.seen.size(), 1u);  // writable at once, reported once (edge-triggered)
  EXPECT_TRUE(recorder.seen[0].first & EPOLLOUT);
  EXPECT_FALSE(recorder.seen[0].first & EPOLLIN);
  EXPECT_EQ(recorder.seen[0].second, 5u);

  ASSERT_EQ(::write(pair[1], "x", 1), 1);
  run_briefly(loop);
  ASSERT_EQ(recorder.seen.size(), 2u);
  EXPECT_TRUE(recorder.seen[1].first & EPOLLIN);

  run_briefly(loop);  // nothing new happened: no event, although the byte is still unread
  EXPECT_EQ(recorder.seen.size(), 2u);

  ::close(pair[1]);  // the peer goes: the hang-up reaches the handler
  run_briefly(loop);
  ASSERT_EQ(recorder.seen.size(), 3u);
  EXPECT_TRUE(recorder.seen[2].first & (EPOLLRDHUP | EPOLLHUP));
  readiness.close();
  ::close(pair[0]);
}

TEST(ReadinessLoop, RetiredHandlersAreDeletedAfterTheBatchNotDuringIt) {
  asio::io_context loop(1);
  ReadinessLoop readiness(loop);
  bool deleted = false;
  auto recorder = std::make_unique<Recorder>();
  recorder->deleted = &deleted;
  Recorder* raw = recorder.get();
  readiness.retire(std::move(recorder));
  EXPECT_FALSE(deleted);  // still valid for events of the current batch
  raw->on_ready(0, 0);
  run_briefly(loop);
  EXPECT_TRUE(deleted);
  readiness.close();
}

struct Alarm : DeadlineSweep::Owner {
  int64_t fired_at = -1;
  int fired = 0;
  DeadlineSweep::Entry entry{*this};
  void on_deadline() override {
    fired_at = now_ms();
    ++fired;
  }
};

TEST(DeadlineSweep, FiresEachDeadlineOnceAfterItsTimeAndNeverADisarmedOne) {
  asio::io_context loop(1);
  DeadlineSweep sweep(loop, std::chrono::milliseconds(10));
  Alarm soon, later, cancelled, moved;
  const int64_t start = now_ms();
  soon.entry.arm(sweep, start + 20);
  later.entry.arm(sweep, start + 60);
  cancelled.entry.arm(sweep, start + 20);
  cancelled.entry.disarm();
  moved.entry.arm(sweep, start + 20);
  moved.entry.set(start + 80);  // activity pushed it back
  loop.run_for(std::chrono::milliseconds(200));
  EXPECT_GE(soon.fired_at, start + 20);
  EXPECT_GE(later.fired_at, start + 60);
  EXPECT_GE(moved.fired_at, start + 80);
  EXPECT_EQ(soon.fired + later.fired + moved.fired, 3);
  EXPECT_EQ(cancelled.fired, 0);
  EXPECT_FALSE(soon.entry.armed());
  sweep.close();
}

TEST(DeadlineSweep, AnOwnerMayReArmFromItsCallback) {
  asio::io_context loop(1);
  DeadlineSweep sweep(loop, std::chrono::milliseconds(5));
  struct Repeater : DeadlineSweep::Owner {
    DeadlineSweep* sweep = nullptr;
    int fired = 0;
    DeadlineSweep::Entry entry{*this};
    void on_deadline() override {
      if (++fired < 3) entry.arm(*sweep, now_ms() + 5);
    }
  } repeater;
  repeater.sweep = &sweep;
  repeater.entry.arm(sweep, now_ms());
  loop.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(repeater.fired, 3);
  sweep.close();
}

}  // namespace readiness_loop_test
}  // namespace fulcrum::core
