#include "http/stream/deadline_watch.hpp"

#include "core/clock.hpp"

namespace fulcrum::http {

void Deadline::arm(int64_t timeout_ms, ByteStream* a, ByteStream* b) {
  at_ms_ = core::now_ms() + timeout_ms;
  streams_[0] = a;
  streams_[1] = b;
  expired_ = false;
  if (!linked_) watch_->link(*this);
}

void Deadline::disarm() {
  if (linked_) watch_->unlink(*this);
}

void DeadlineWatch::link(Deadline& d) {
  d.prev_ = nullptr;
  d.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &d;
  head_ = &d;
  d.linked_ = true;
  wake();
}

void DeadlineWatch::unlink(Deadline& d) {
  if (d.prev_ != nullptr) d.prev_->next_ = d.next_;
  else head_ = d.next_;
  if (d.next_ != nullptr) d.next_->prev_ = d.prev_;
  d.prev_ = d.next_ = nullptr;
  d.linked_ = false;
}

void DeadlineWatch::start() {
  if (!timer_ || running_) return;
  running_ = true;
  schedule();
}

void DeadlineWatch::schedule() {
  timer_->expires_after(std::chrono::milliseconds(kTickMs));
  timer_->async_wait([this](const asio::error_code& ec) {
    if (ec || !running_) return;
    if (tick()) {
      schedule();
    } else {
      sleeping_ = true;
    }
  });
}

void DeadlineWatch::resume() {
  if (!running_ || !timer_) return;
  sleeping_ = false;
  schedule();
}

void DeadlineWatch::stop() {
  running_ = false;
  sleeping_ = false;
  timer_.reset();
}

bool DeadlineWatch::tick() {
  const int64_t now = core::now_ms();
  for (Deadline* d = head_; d != nullptr;) {
    Deadline* next = d->next_;
    if (d->at_ms_ <= now) {
      // Unlinked first: cancelling completes nothing synchronously, but the session may re-arm
      // as soon as it runs again.
      unlink(*d);
      d->expired_ = true;
      for (ByteStream* stream : d->streams_) {
        if (stream != nullptr) stream->cancel();
      }
    }
    d = next;
  }
  const bool hook_busy = hook_ != nullptr && hook_(hook_argument_, now);
  return hook_busy || head_ != nullptr;
}

}  // namespace fulcrum::http
