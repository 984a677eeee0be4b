#include "core/deadline_sweep.hpp"

#include "core/clock.hpp"

namespace fulcrum::core {

void DeadlineSweep::Entry::arm(DeadlineSweep& sweep, int64_t at_ms) {
  at_ms_ = at_ms;
  if (sweep_ == &sweep) return;
  disarm();
  sweep.link(*this);
}

void DeadlineSweep::Entry::disarm() {
  if (sweep_ != nullptr) sweep_->unlink(*this);
}

void DeadlineSweep::link(Entry& entry) {
  entry.sweep_ = this;
  entry.previous_ = nullptr;
  entry.next_ = head_;
  if (head_ != nullptr) head_->previous_ = &entry;
  head_ = &entry;
  if (!running_) start_timer();
}

void DeadlineSweep::unlink(Entry& entry) {
  if (entry.previous_ != nullptr) entry.previous_->next_ = entry.next_;
  else head_ = entry.next_;
  if (entry.next_ != nullptr) entry.next_->previous_ = entry.previous_;
  entry.sweep_ = nullptr;
  entry.previous_ = entry.next_ = nullptr;
}

void DeadlineSweep::start_timer() {
  if (!timer_) return;
  running_ = true;
  timer_->expires_after(tick_);
  timer_->async_wait([this](const std::error_code& ec) {
    running_ = false;
    if (ec) return;
    sweep();
  });
}

void DeadlineSweep::sweep() {
  const int64_t now = now_ms();
  // Unlink every expired entry first, then call the owners: a call may arm or disarm its own
  // entry (one per owner) but never touches another owner's, and owners are deleted later
  // (ReadinessLoop::retire), so the chain stays valid. O(entries) per sweep.
  Entry* expired = nullptr;
  for (Entry* entry = head_; entry != nullptr;) {
    Entry* next = entry->next_;
    if (entry->at_ms_ <= now) {
      unlink(*entry);
      entry->next_ = expired;
      expired = entry;
    }
    entry = next;
  }
  while (expired != nullptr) {
    Entry* entry = expired;
    expired = entry->next_;
    entry->next_ = nullptr;
    entry->owner_.on_deadline();
  }
  if (head_ != nullptr && !running_) start_timer();
}

}  // namespace fulcrum::core
