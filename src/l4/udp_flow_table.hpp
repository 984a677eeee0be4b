#pragma once
// The flows one worker remembers for one UDP listener: client address:port -> a slot whose
// payload (the socket toward the chosen target) the forwarder keeps in a parallel array.
// Bounded: when full, the least recently active flow makes room (evict_oldest). Slots are kept
// in recency order in an intrusive list, so touching a flow on each datagram and finding the
// idle ones are O(1) and allocate nothing; only a new flow inserts into the hash map.
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

namespace fulcrum::l4 {

// A client address and port, packed for hashing (IPv4 and IPv6).
struct FlowKey {
  uint64_t high = 0;  // IPv6: first 8 bytes; IPv4: 0
  uint64_t low = 0;   // IPv6: last 8 bytes; IPv4: the address
  uint32_t port_and_family = 0;

  static FlowKey of(const sockaddr* address);
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& key) const noexcept;
};

class UdpFlowTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit UdpFlowTable(uint32_t capacity);

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return static_cast<uint32_t>(index_.size()); }
  bool full() const { return size() >= capacity_; }

  // The flow's slot, or kNone.
  uint32_t find(const FlowKey& key) const;
  // Adds a flow (the table must not be full) and returns its slot, marked active at now_ms.
  uint32_t insert(const FlowKey& key, int64_t now_ms);
  // Marks a flow active now: it becomes the most recent.
  void touch(uint32_t slot, int64_t now_ms);
  void erase(uint32_t slot);
  // The least recently active flow, or kNone when empty.
  uint32_t oldest() const { return tail_; }
  int64_t last_active_ms(uint32_t slot) const { return slots_[slot].last_active_ms; }
  // Bumped each time a slot is reused: callbacks hold (slot, generation) to know their flow is gone.
  uint32_t generation(uint32_t slot) const { return slots_[slot].generation; }

 private:
  struct Slot {
    FlowKey key;
    int64_t last_active_ms = 0;
    uint32_t newer = kNone;  // toward head_
    uint32_t older = kNone;  // toward tail_
    uint32_t generation = 0;
    bool used = false;
  };
  void unlink(uint32_t slot);
  void push_front(uint32_t slot);

  uint32_t capacity_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::unordered_map<FlowKey, uint32_t, FlowKeyHash> index_;
  uint32_t head_ = kNone;  // most recent
  uint32_t tail_ = kNone;  // least recent
};

}  // namespace fulcrum::l4
