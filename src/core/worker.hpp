#pragma once
// A worker thread with its own event loop. Connections accepted on a worker live and die on
// it (shared-nothing); the control thread talks to a worker only by posting to its loop.
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

namespace fulcrum::core {

class Worker {
 public:
  explicit Worker(uint32_t index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  uint32_t index() const { return index_; }
  asio::io_context& loop() { return *loop_; }

  // `on_thread`, if given, runs first on the new thread (e.g. dropping its capabilities).
  void start(std::function<void()> on_thread = {});
  // Lets the loop finish once it has no work left; join() waits for that.
  void release();
  // Stops the loop now (pending handlers are dropped).
  void stop();
  void join();
  // After join(): destroys the loop, and with it every handler and coroutine still pending, so
  // that they unwind while what they refer to is still alive. loop() is invalid afterwards.
  void destroy_loop();

  template <typename Fn>
  void post(Fn&& fn) {
    asio::post(*loop_, std::forward<Fn>(fn));
  }

 private:
  uint32_t index_;
  // Concurrency hint 1: only this thread runs it, no locking inside.
  std::unique_ptr<asio::io_context> loop_ = std::make_unique<asio::io_context>(1);
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_alive_;
  std::thread thread_;
};

// The number of workers for `workers: auto` (one per core, at least 1).
uint32_t default_worker_count();

// The index of the worker whose thread calls this, or kNotAWorker on any other thread (the
// control thread, tests): per-worker counters pick their slot with it.
inline constexpr uint32_t kNotAWorker = UINT32_MAX;
uint32_t this_worker_index();

}  // namespace fulcrum::core
