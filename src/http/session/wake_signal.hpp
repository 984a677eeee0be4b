#pragma once
// One coroutine waiting for something a handler of the same worker makes happen (request body
// bytes arrived, room in the client's window), with no time limit of its own: a steady_timer
// that never expires, cancelled to wake the waiter. cancel() wakes it with "give up" instead
// (a deadline passed, the stream closes). Only the worker's thread touches it.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>

#include "core/use_tuple.hpp"

namespace fulcrum::http {

class WakeSignal {
 public:
  explicit WakeSignal(asio::io_context& loop) : timer_(loop, std::chrono::steady_clock::time_point::max()) {}

  // Until wake() or cancel(): true when woken, false when cancelled.
  asio::awaitable<bool> wait() {
    waiting_ = true;
    co_await timer_.async_wait(use_tuple);
    waiting_ = false;
    const bool woken = !cancelled_;
    cancelled_ = false;
    co_return woken;
  }
  void wake() {
    if (waiting_) timer_.cancel();
  }
  void cancel() {
    if (!waiting_) return;
    cancelled_ = true;
    timer_.cancel();
  }
  bool waiting() const { return waiting_; }

 private:
  asio::steady_timer timer_;
  bool waiting_ = false;
  bool cancelled_ = false;
};

}  // namespace fulcrum::http
