#pragma once
// Plain tcp health checks (connect, then close with a reset) for many targets at once, with no
// socket object, coroutine, timer or epoll registration per check. One timer wakes the control
// thread once per slot (10 ms) while there is work: one poll() collects the connects that ended
// since the last wake-up, those past their timeout fail, and every check that has come due
// starts. A check costs socket, two setsockopt, connect and close; the coroutine-and-Asio-socket
// way cost an epoll_ctl add/mod/del, a wake-up and several allocations more per check, which
// at 1,000 targets a second was most of the checker's CPU.
//
// With quick ACKs off, our handshake's last ACK is delayed and the reset on close reaches the
// target while its side is still a half-open request: the SYN-ACK alone proves a listener, and
// the target never builds, queues and tears down a full connection for a check (HAProxy checks
// the same way).
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "health/check_outcome.hpp"

namespace fulcrum::health {

class TcpCheckSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(CheckOutcome)>;

  TcpCheckSchedule(asio::io_context& loop, std::chrono::milliseconds slot);
  ~TcpCheckSchedule();
  TcpCheckSchedule(const TcpCheckSchedule&) = delete;
  TcpCheckSchedule& operator=(const TcpCheckSchedule&) = delete;

  // Checks `address` at `first_due` and then every `interval` (a late wake-up skips, never
  // piles up), each check bounded by `timeout`. `done` gets every verdict on the loop's thread,
  // never from inside add() or remove(). Returns the id remove() takes.
  uint64_t add(const asio::ip::tcp::endpoint& address, std::chrono::milliseconds interval,
               std::chrono::milliseconds timeout, Clock::time_point first_due, Done done);
  // Stops the check: one in flight is abandoned (its socket closed); `done` is not called again.
  void remove(uint64_t id);
  // Removes every check (the monitor stops).
  void clear();
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t id = 0;
    asio::ip::tcp::endpoint address;
    std::chrono::milliseconds interval{0};
    std::chrono::milliseconds timeout{0};
    Clock::time_point due;
    Clock::time_point started;
    int fd = -1;  // >= 0 while a check is in flight
    bool removed = false;  // removed during a wake-up: erased at its end
    Done done;
  };

  void wake();
  void collect(Clock::time_point now);
  void start_due(Clock::time_point now);
  void start(Entry& entry, Clock::time_point now);
  void finish(Entry& entry, CheckOutcome outcome);
  void arm();
  void erase_removed();

  asio::io_context& loop_;
  std::chrono::milliseconds slot_;
  asio::steady_timer timer_;
  std::vector<std::unique_ptr<Entry>> entries_;  // stable addresses across removals
  std::vector<pollfd> polled_;                   // reused: no allocation per wake-up
  std::vector<Entry*> polled_entries_;
  Clock::time_point armed_for_ = Clock::time_point::max();
  uint64_t next_id_ = 1;
  bool waking_ = false;
};

}  // namespace fulcrum::health
