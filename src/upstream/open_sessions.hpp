#pragma once
// One worker's list of sessions that are connected to a target, so that the control thread
// can end the connections of a target whose deregistration delay ran out: it posts
// close_target() to each worker's loop, and the worker shuts those sockets down itself.
// Only the worker's thread touches the list (no lock); an entry is two pointers, linked in
// when a session is connected and unlinked when it ends.
#include <cstddef>

#include "upstream/traffic_outcomes.hpp"

namespace fulcrum::upstream {

class OpenSessions {
 public:
  class Entry {
   public:
    // `target`: the target's identity (its TrafficOutcomes, from the snapshot's TargetInfo).
    // `client_fd` -1: only the target side is shut down (an HTTP request: the client stays).
    Entry(OpenSessions& list, const TrafficOutcomes* target, int client_fd, int target_fd);
    ~Entry();
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    // True when close_target() ended this session (the access log says "deregistered").
    bool closed_by_deregistration() const { return closed_; }

   private:
    friend class OpenSessions;
    OpenSessions& list_;
    const TrafficOutcomes* target_;
    int client_fd_;
    int target_fd_;
    bool closed_ = false;
    Entry* prev_ = nullptr;
    Entry* next_ = nullptr;
  };

  // shutdown(SHUT_RDWR) on both sockets of every session of `target`: the relay sees both
  // directions end and finishes as usual. Returns the number of sessions closed.
  size_t close_target(const TrafficOutcomes* target);
  size_t size() const { return size_; }

 private:
  Entry* head_ = nullptr;
  size_t size_ = 0;
};

}  // namespace fulcrum::upstream
