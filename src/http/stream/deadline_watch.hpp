#pragma once
// Per-worker timeouts without a timer per operation. A session owns a Deadline (in its own
// frame) and arms it before an await; one periodic timer per worker walks the armed deadlines
// and, when one has passed, cancels the streams it names, so the pending operation completes
// with operation_aborted and the session sees expired() == true. Arming is a store and a list
// link: no syscall and no allocation per request (a timer per request would re-arm the loop's
// timerfd twice per request). Resolution is the tick (kTickMs): timeouts are configured in
// units of 100 ms or more. With nothing armed and nothing left for the tick hook, the timer
// stops: an idle worker sleeps instead of waking 20 times a second; the next arm() (or wake()
// from the hook's owner) starts it again.
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <memory>

#include "http/stream/byte_stream.hpp"

namespace fulcrum::http {

class DeadlineWatch;

class Deadline {
 public:
  explicit Deadline(DeadlineWatch& watch) : watch_(&watch) {}
  ~Deadline() { disarm(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  // Cancels `a` (and `b`) at now + timeout_ms, unless disarmed or re-armed first.
  void arm(int64_t timeout_ms, ByteStream* a, ByteStream* b = nullptr);
  void disarm();
  bool expired() const { return expired_; }
  // When the last arm() falls due (core::now_ms() clock).
  int64_t at_ms() const { return at_ms_; }

 private:
  friend class DeadlineWatch;
  DeadlineWatch* watch_;
  Deadline* prev_ = nullptr;
  Deadline* next_ = nullptr;
  bool linked_ = false;
  bool expired_ = false;
  int64_t at_ms_ = 0;
  ByteStream* streams_[2] = {nullptr, nullptr};
};

class DeadlineWatch {
 public:
  static constexpr int64_t kTickMs = 50;
  explicit DeadlineWatch(asio::io_context& loop) : timer_(std::make_unique<asio::steady_timer>(loop)) {}
  // Extra work done on each tick (the upstream pool's idle sweep); it returns whether it still
  // holds something a later tick must look at.
  using TickHook = bool (*)(void*, int64_t now_ms);
  void set_tick_hook(TickHook hook, void* argument) {
    hook_ = hook;
    hook_argument_ = argument;
  }
  void start();
  // The hook's owner has something for later ticks again: ticking resumes if it had stopped.
  void wake() {
    if (sleeping_) resume();
  }
  // Stops ticking and drops the timer (before the loop is destroyed).
  void stop();

 private:
  friend class Deadline;
  void link(Deadline& d);
  void unlink(Deadline& d);
  void schedule();
  void resume();
  // Returns whether another tick is needed.
  bool tick();

  std::unique_ptr<asio::steady_timer> timer_;
  Deadline* head_ = nullptr;
  bool running_ = false;
  bool sleeping_ = false;  // running, but no wait pending until something needs a tick
  TickHook hook_ = nullptr;
  void* hook_argument_ = nullptr;
};

}  // namespace fulcrum::http
