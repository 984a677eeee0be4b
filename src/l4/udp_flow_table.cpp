#include "l4/udp_flow_table.hpp"

#include <netinet/in.h>

#include <cassert>

#include "balance/mix.hpp"

namespace fulcrum::l4 {

FlowKey FlowKey::of(const sockaddr* address) {
  FlowKey key;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    key.low = v4->sin_addr.s_addr;
    key.port_and_family = (uint32_t{v4->sin_port} << 16) | AF_INET;
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::memcpy(&key.high, v6->sin6_addr.s6_addr, 8);
    std::memcpy(&key.low, v6->sin6_addr.s6_addr + 8, 8);
    key.port_and_family = (uint32_t{v6->sin6_port} << 16) | AF_INET6;
  }
  return key;
}

size_t FlowKeyHash::operator()(const FlowKey& key) const noexcept {
  return static_cast<size_t>(balance::mix64(key.high ^ balance::mix64(key.low ^ (uint64_t{key.port_and_family} << 32))));
}

UdpFlowTable::UdpFlowTable(uint32_t capacity) : capacity_(capacity), slots_(capacity) {
  free_.reserve(capacity);
  for (uint32_t i = capacity; i > 0; --i) free_.push_back(i - 1);
  index_.reserve(capacity);  // no rehash (and no big allocation) while serving
}

uint32_t UdpFlowTable::find(const FlowKey& key) const {
  auto found = index_.find(key);
  return found == index_.end() ? kNone : found->second;
}

uint32_t UdpFlowTable::insert(const FlowKey& key, int64_t now_ms) {
  assert(!full());
  uint32_t slot = free_.back();
  free_.pop_back();
  Slot& s = slots_[slot];
  s.key = key;
  s.last_active_ms = now_ms;
  s.used = true;
  ++s.generation;
  index_.emplace(key, slot);
  push_front(slot);
  return slot;
}

void UdpFlowTable::touch(uint32_t slot, int64_t now_ms) {
  slots_[slot].last_active_ms = now_ms;
  if (head_ == slot) return;
  unlink(slot);
  push_front(slot);
}

void UdpFlowTable::erase(uint32_t slot) {
  Slot& s = slots_[slot];
  if (!s.used) return;
  unlink(slot);
  index_.erase(s.key);
  s.used = false;
  ++s.generation;
  free_.push_back(slot);
}

void UdpFlowTable::unlink(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.newer != kNone) slots_[s.newer].older = s.older; else head_ = s.older;
  if (s.older != kNone) slots_[s.older].newer = s.newer; else tail_ = s.newer;
  s.newer = s.older = kNone;
}

void UdpFlowTable::push_front(uint32_t slot) {
  Slot& s = slots_[slot];
  s.newer = kNone;
  s.older = head_;
  if (head_ != kNone) slots_[head_].newer = slot;
  head_ = slot;
  if (tail_ == kNone) tail_ = slot;
}

}  // namespace fulcrum::l4
