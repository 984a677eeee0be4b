#pragma once
// Many coarse deadlines checked by one periodic timer, instead of one Asio timer each: a
// per-connection timer re-programs the loop's timerfd whenever it is the earliest deadline,
// which for connect timeouts is every time. The sweep runs every `tick` only while deadlines
// are registered, so a deadline fires up to one tick late (a timeout is a bound, not an
// appointment). Only the owning worker's thread uses it.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

namespace fulcrum::core {

class DeadlineSweep {
 public:
  class Owner {
   public:
    // Called from the sweep once the deadline has passed; the entry is already disarmed.
    // An owner has one entry and knows what its deadline meant (connect, idle, ...).
    virtual void on_deadline() = 0;
    virtual ~Owner() = default;
  };

  // One deadline, embedded in its owner. Linked while armed; re-arming moves the time only.
  class Entry {
   public:
    explicit Entry(Owner& owner) : owner_(owner) {}
    ~Entry() { disarm(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    void arm(DeadlineSweep& sweep, int64_t at_ms);
    void set(int64_t at_ms) { at_ms_ = at_ms; }  // armed entries only: a cheap store
    void disarm();
    bool armed() const { return sweep_ != nullptr; }

   private:
    friend class DeadlineSweep;
    Owner& owner_;
    int64_t at_ms_ = 0;
    DeadlineSweep* sweep_ = nullptr;
    Entry* previous_ = nullptr;
    Entry* next_ = nullptr;
  };

  DeadlineSweep(asio::io_context& loop, std::chrono::milliseconds tick) : tick_(tick), timer_(std::in_place, loop) {}
  DeadlineSweep(const DeadlineSweep&) = delete;
  DeadlineSweep& operator=(const DeadlineSweep&) = delete;

  // Before the loop is destroyed (an I/O object must not outlive its loop).
  void close() { timer_.reset(); }

 private:
  void link(Entry& entry);
  void unlink(Entry& entry);
  void start_timer();
  void sweep();

  std::chrono::milliseconds tick_;
  std::optional<asio::steady_timer> timer_;
  Entry* head_ = nullptr;
  bool running_ = false;
};

}  // namespace fulcrum::core
