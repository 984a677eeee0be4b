#include "l4/connect_watch.hpp"

#include "core/clock.hpp"

namespace fulcrum::l4 {

ConnectWatch::Entry::Entry(ConnectWatch& watch, asio::ip::tcp::socket& socket, int64_t deadline_ms)
    : watch_(watch), socket_(socket), deadline_ms_(deadline_ms) {
  next_ = watch_.head_;
  if (next_) next_->previous_ = this;
  watch_.head_ = this;
  watch_.arm();
}

ConnectWatch::Entry::~Entry() {
  if (previous_) {
    previous_->next_ = next_;
  } else {
    watch_.head_ = next_;
  }
  if (next_) next_->previous_ = previous_;
}

void ConnectWatch::arm() {
  if (armed_ || !timer_) return;
  armed_ = true;
  timer_->expires_after(kTick);
  timer_->async_wait([this](const asio::error_code& ec) {
    armed_ = false;
    if (!ec) sweep();
  });
}

void ConnectWatch::sweep() {
  const int64_t now = core::now_ms();
  for (Entry* entry = head_; entry != nullptr; entry = entry->next_) {
    if (!entry->timed_out_ && now >= entry->deadline_ms_) {
      entry->timed_out_ = true;
      asio::error_code ignored;
      entry->socket_.cancel(ignored);  // the connect's wait completes with operation_aborted
    }
  }
  if (head_ != nullptr) arm();
}

}  // namespace fulcrum::l4
