#pragma once
// Enforces connect_timeout for all of a worker's connects in progress with one coarse periodic
// timer, instead of one Asio timer per connect: a per-connect timer is always the earliest
// deadline of the loop, so arming and cancelling it re-programs the timerfd twice per
// connection. The sweep runs every kTick only while connects are pending, so timeouts fire
// up to kTick late (a connect_timeout is a bound, not an appointment).
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace fulcrum::l4 {

class ConnectWatch {
 public:
  static constexpr std::chrono::milliseconds kTick{25};

  explicit ConnectWatch(asio::io_context& loop) : timer_(std::in_place, loop) {}
  ConnectWatch(const ConnectWatch&) = delete;
  ConnectWatch& operator=(const ConnectWatch&) = delete;

  // One connect in progress; registered for its lifetime (RAII), on the worker's thread.
  class Entry {
   public:
    Entry(ConnectWatch& watch, asio::ip::tcp::socket& socket, int64_t deadline_ms);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    bool timed_out() const { return timed_out_; }

   private:
    friend class ConnectWatch;
    ConnectWatch& watch_;
    asio::ip::tcp::socket& socket_;
    int64_t deadline_ms_;
    bool timed_out_ = false;
    Entry* previous_ = nullptr;
    Entry* next_ = nullptr;
  };

 private:
  void arm();
  void sweep();
  friend struct WorkerContext;
  // Optional so that the worker can destroy it before its loop (an I/O object must not outlive
  // the loop it belongs to).
  std::optional<asio::steady_timer> timer_;
  Entry* head_ = nullptr;
  bool armed_ = false;
};

}  // namespace fulcrum::l4
