#include "http/session/awaiting_headers.hpp"

namespace fulcrum::http {

void AwaitingHeadersEntry::join(AwaitingHeaders& list, std::atomic<int64_t>* counter, asio::ip::tcp::socket* socket) {
  leave();
  counter_ = counter;
  socket_ = socket;
  counter_->fetch_add(1, std::memory_order_relaxed);
  AwaitingHeadersEntry& tail = *list.sentinel_.prev_;
  prev_ = &tail;
  next_ = &list.sentinel_;
  tail.next_ = this;
  list.sentinel_.prev_ = this;
}

void AwaitingHeadersEntry::leave() {
  if (counter_ == nullptr) return;
  counter_->fetch_sub(1, std::memory_order_relaxed);
  counter_ = nullptr;
  prev_->next_ = next_;
  next_->prev_ = prev_;
  prev_ = next_ = nullptr;
}

bool AwaitingHeaders::join_capped(AwaitingHeadersEntry& entry, std::atomic<int64_t>* counter, uint32_t cap,
                                  asio::ip::tcp::socket* socket) {
  const bool evicted = counter->load(std::memory_order_relaxed) >= cap && evict_oldest(counter);
  entry.join(*this, counter, socket);
  return evicted;
}

bool AwaitingHeaders::evict_oldest(const std::atomic<int64_t>* counter) {
  for (AwaitingHeadersEntry* e = sentinel_.next_; e != &sentinel_; e = e->next_) {
    if (e->counter_ != counter) continue;
    e->evicted_ = true;
    asio::error_code ignored;
    e->socket_->cancel(ignored);
    e->leave();
    return true;
  }
  return false;
}

}  // namespace fulcrum::http
