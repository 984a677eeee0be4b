#pragma once
// Plain tcp health checks (connect, then a reset) for many targets at once, with no socket
// object, coroutine, timer or epoll registration per check. One timer wakes the control thread
// at most once per slot (20 ms) while there is work: one poll() collects the connects that ended
// since the last wake-up (only the checks in flight are looked at), those past their timeout
// fail, and the checks that have come due are taken from a queue ordered by due time. At 1,000
// targets a second a wake-up touches the ~20 checks of its slot, never all 1,000.
//
// A check that connected is ended with connect(AF_UNSPEC): the kernel resets the connection
// exactly as a close with SO_LINGER 0 would, but the socket survives, unbound, and the next check
// connects with it: no socket() and close() (file table, socket allocation, deferred fput) per
// check. Refused and timed-out sockets are closed.
//
// With quick ACKs off, our handshake's last ACK is delayed and the reset reaches the target while
// its side is still a half-open request: the SYN-ACK alone proves a listener, and the target never
// builds, queues and tears down a full connection for a check (HAProxy checks the same way).
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "health/check_outcome.hpp"

namespace fulcrum::health {

class TcpCheckSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(CheckOutcome)>;

  // `slot`: the longest a wake-up waits for the next (verdicts are seen up to a slot late).
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
  // A check waiting for its turn. Removal leaves its node behind (ids are never reused): it is
  // dropped when it reaches the front.
  struct Waiting {
    Clock::time_point due;
    uint64_t id;
    bool operator>(const Waiting& other) const { return due > other.due; }
  };

  void wake();
  void collect(Clock::time_point now);
  void start_due(Clock::time_point now);
  void start(Entry& entry, Clock::time_point now);
  // `connected`: the socket may be disconnected and kept for the next check.
  void finish(Entry& entry, CheckOutcome outcome, bool connected);
  void wait_turn(const Entry& entry);
  int take_socket(int family);
  void keep_or_close(int fd, int family);
  void arm();
  void erase_removed();

  asio::io_context& loop_;
  std::chrono::milliseconds slot_;
  asio::steady_timer timer_;
  std::unordered_map<uint64_t, std::unique_ptr<Entry>> entries_;  // stable addresses
  std::vector<Waiting> waiting_;     // min-heap by due: the checks not in flight
  std::vector<Entry*> in_flight_;
  std::vector<uint64_t> removed_;    // removed during a wake-up
  std::vector<pollfd> polled_;       // reused: no allocation per wake-up
  std::vector<int> spare_v4_, spare_v6_;  // disconnected sockets, ready for a next connect
  Clock::time_point armed_for_ = Clock::time_point::max();
  Clock::time_point last_wake_ = Clock::time_point::min();
  uint64_t next_id_ = 1;
  bool waking_ = false;
};

}  // namespace fulcrum::health
