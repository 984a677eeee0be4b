#include "security/client_table.hpp"

#include <cstring>
#include <limits>
#include <random>

namespace fulcrum::security {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

ClientTable::ClientTable(uint32_t slots_log2)
    : slots_(std::make_unique<Slot[]>(size_t{1} << slots_log2)), mask_((uint64_t{1} << slots_log2) - 1) {
  std::random_device random;
  seed_ = (uint64_t{random()} << 32) ^ random();
}

uint64_t ClientTable::key(uint64_t listener_seed, const ClientAddress& client) const {
  uint64_t words[2] = {};
  std::memcpy(words, client.bytes, 16);
  uint64_t h = mix(seed_ ^ listener_seed ^ static_cast<uint64_t>(client.family));
  h = mix(h ^ words[0]);
  return mix(h ^ words[1]);
}

ClientTable::Admission ClientTable::admit(uint64_t key, uint32_t max_connections, const RateShape& rate,
                                          int64_t now_ns) {
  uint64_t tag = (key >> kCountBits) & (~uint64_t{0} >> kCountBits);  // 40 bits
  if (tag == 0) tag = 1;
  const uint64_t first = (key & mask_) & ~uint64_t{kGroup - 1};
  Admission admission;
  for (int attempt = 0; attempt < 4; ++attempt) {
    int64_t found = -1;
    bool stolen = false;
    // The client's slot, if it has one: count one more connection on it.
    for (uint32_t i = 0; i < kGroup && found < 0 && !stolen; ++i) {
      Slot& slot = slots_[first + i];
      uint64_t word = slot.word.load(std::memory_order_acquire);
      while ((word >> kCountBits) == tag) {
        const uint64_t count = word & kCountMask;
        if ((max_connections != 0 && count >= max_connections) || count == kCountMask) {
          admission.verdict = Verdict::too_many_connections;
          return admission;
        }
        if (slot.word.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel)) {
          found = static_cast<int64_t>(first + i);
          break;
        }
        if ((word >> kCountBits) != tag) stolen = true;  // taken over meanwhile: look again
      }
    }
    if (stolen) continue;
    if (found < 0) {
      // A new client: take the empty slot or the least recently seen one without connections.
      // Every worker picks the same victim from the same view, so racing claims collide
      // on one compare-and-swap rather than splitting a client over two slots.
      int64_t victim = -1;
      uint64_t victim_word = 0;
      int64_t oldest = std::numeric_limits<int64_t>::max();
      for (uint32_t i = 0; i < kGroup; ++i) {
        Slot& slot = slots_[first + i];
        const uint64_t word = slot.word.load(std::memory_order_acquire);
        if ((word & kCountMask) != 0) continue;
        const int64_t seen = word == 0 ? std::numeric_limits<int64_t>::min() : slot.last_seen_ns.load(std::memory_order_relaxed);
        if (seen < oldest) {
          oldest = seen;
          victim = static_cast<int64_t>(first + i);
          victim_word = word;
        }
      }
      if (victim < 0) return admission;  // untracked: every slot of the group holds connections
      Slot& slot = slots_[victim];
      if (!slot.word.compare_exchange_strong(victim_word, (tag << kCountBits) | 1, std::memory_order_acq_rel)) continue;
      if (victim_word != 0) evictions_.fetch_add(1, std::memory_order_relaxed);
      slot.connection_tat.store(0, std::memory_order_relaxed);  // a new client's buckets are full
      slot.request_tat.store(0, std::memory_order_relaxed);
      found = victim;
    }
    Slot& slot = slots_[found];
    slot.last_seen_ns.store(now_ns, std::memory_order_relaxed);
    if (rate.on() && !rate.take(slot.connection_tat, now_ns, admission.wait_ns)) {
      release(static_cast<int32_t>(found));
      admission.verdict = Verdict::too_fast;
      return admission;
    }
    admission.verdict = Verdict::admitted;
    admission.slot = static_cast<int32_t>(found);
    return admission;
  }
  return admission;
}

void ClientTable::release(int32_t slot) {
  if (slot < 0) return;
  slots_[slot].word.fetch_sub(1, std::memory_order_acq_rel);
}

bool ClientTable::take_request(int32_t slot, const RateShape& rate, int64_t now_ns, int64_t& wait_ns) {
  if (slot < 0 || !rate.on()) return true;
  return rate.take(slots_[slot].request_tat, now_ns, wait_ns);
}

uint32_t ClientTable::open_connections(int32_t slot) const {
  return static_cast<uint32_t>(slots_[slot].word.load(std::memory_order_relaxed) & kCountMask);
}

}  // namespace fulcrum::security
