#pragma once
// Per-client state shared by every worker of the process, so that a per-client limit holds
// across workers instead of being multiplied by their number: open connections and two token
// buckets (connections per second, requests per second) per (listener, client address).
//
// Lock-free and bounded: a fixed array of slots (memory never grows, whatever the number of
// addresses a flood spoofs or owns), grouped by eights; a client hashes (with a random seed,
// so an attacker cannot aim at one group) to a group and lives in one of its slots. A slot's
// key and open-connection count share one atomic word, so "is it still this client's slot"
// and "count one more" are one compare-and-swap, and a slot can be taken over (evicted) only
// while no connection holds it: the least recently seen idle slot of the group goes first.
// When all eight slots of a group hold open connections the client is not tracked (admitted,
// counted as untracked): failing open beats refusing innocent clients who share a group.
//
// Approximations, on purpose: two workers admitting the very first connections of one client
// at the same instant may give it two slots (each then counts part of its connections); a
// bucket taken over by a new client may be charged one request of the old one.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "security/client_address.hpp"
#include "security/rate_shape.hpp"

namespace fulcrum::security {

class ClientTable {
 public:
  // 2^slots_log2 slots of 32 bytes: the default 65,536 slots take 2 MiB.
  explicit ClientTable(uint32_t slots_log2 = 16);
  ClientTable(const ClientTable&) = delete;
  ClientTable& operator=(const ClientTable&) = delete;

  enum class Verdict : uint8_t { admitted, too_many_connections, too_fast, untracked };
  struct Admission {
    Verdict verdict = Verdict::untracked;
    int32_t slot = -1;     // admitted: the slot holding one connection (release() it)
    int64_t wait_ns = 0;  // too_fast: until the next connection would be admitted
  };

  // The hash of a client on a listener (listener_seed tells listeners apart).
  uint64_t key(uint64_t listener_seed, const ClientAddress& client) const;
  // Counts one more connection of the client, unless it has max_connections open already
  // (0: no maximum) or opens them faster than `rate` allows.
  Admission admit(uint64_t key, uint32_t max_connections, const RateShape& rate, int64_t now_ns);
  // The connection counted by admit() has closed.
  void release(int32_t slot);
  // One request of the client holding `slot` (admitted, so the slot is still its own).
  bool take_request(int32_t slot, const RateShape& rate, int64_t now_ns, int64_t& wait_ns);

  uint32_t open_connections(int32_t slot) const;
  size_t slot_count() const { return mask_ + 1; }
  size_t memory_bytes() const { return slot_count() * sizeof(Slot); }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct alignas(32) Slot {
    std::atomic<uint64_t> word{0};  // key (high 40 bits, never 0 in use) | open connections (low 24)
    std::atomic<int64_t> connection_tat{0};
    std::atomic<int64_t> request_tat{0};
    std::atomic<int64_t> last_seen_ns{0};
  };
  static constexpr uint64_t kCountBits = 24;
  static constexpr uint64_t kCountMask = (uint64_t{1} << kCountBits) - 1;
  static constexpr uint32_t kGroup = 8;

  std::unique_ptr<Slot[]> slots_;
  uint64_t mask_;
  uint64_t seed_;
  std::atomic<uint64_t> evictions_{0};
};

// One admitted connection's hold on its slot, released when the connection ends.
class ClientTicket {
 public:
  ClientTicket() = default;
  ClientTicket(ClientTable* table, int32_t slot) : table_(table), slot_(slot) {}
  ~ClientTicket() { reset(); }
  ClientTicket(ClientTicket&& other) noexcept : table_(other.table_), slot_(other.slot_) { other.table_ = nullptr; }
  ClientTicket& operator=(ClientTicket&& other) noexcept {
    if (this != &other) {
      reset();
      table_ = other.table_;
      slot_ = other.slot_;
      other.table_ = nullptr;
    }
    return *this;
  }
  bool held() const { return table_ != nullptr; }
  ClientTable* table() const { return table_; }
  int32_t slot() const { return slot_; }
  void reset() {
    if (table_ != nullptr) table_->release(slot_);
    table_ = nullptr;
  }

 private:
  ClientTable* table_ = nullptr;
  int32_t slot_ = -1;
};

}  // namespace fulcrum::security
