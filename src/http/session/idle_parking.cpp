#include "http/session/idle_parking.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "http/session/http_worker.hpp"

namespace fulcrum::http {

void IdleEntry::leave() {
  if (parking_ == nullptr) return;
  prev_->next_ = next_;
  next_->prev_ = prev_;
  prev_ = next_ = nullptr;
  parking_ = nullptr;
}

IdleParking::IdleParking(asio::io_context& loop, HttpWorker& worker) : worker_(worker) {
  idle_.prev_ = idle_.next_ = &idle_;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  // The Asio descriptor only watches; the epoll descriptor stays ours (closed in close()).
  watcher_.emplace(loop, epoll_fd_);
  arm();
}

void IdleParking::enter(IdleEntry& entry, asio::ip::tcp::socket& socket, int64_t now_ms) {
  entry.leave();
  entry.socket_ = &socket;
  entry.since_ms_ = now_ms;
  entry.park_requested_ = false;
  entry.parking_ = this;
  entry.prev_ = idle_.prev_;
  entry.next_ = &idle_;
  idle_.prev_->next_ = &entry;
  idle_.prev_ = &entry;
  worker_.deadlines.wake();  // it parks on a tick
}

bool IdleParking::park(int fd, size_t listener_index, int family, const uint8_t (&address)[16],
                       security::ClientTicket& ticket, int64_t deadline_ms) {
  ParkedConnection* record = free_;
  if (record != nullptr) {
    free_ = record->next;
  } else {
    record = &slab_.emplace_back();
  }
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.ptr = record;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    free_record(*record);
    return false;
  }
  record->fd = fd;
  record->listener_index = static_cast<uint16_t>(listener_index);
  record->family = static_cast<uint8_t>(family);
  std::copy(std::begin(address), std::end(address), record->address);
  record->ticket = std::move(ticket);
  record->deadline_ms = deadline_ms;
  if (by_listener_.size() <= listener_index) by_listener_.resize(listener_index + 1);
  Fifo& fifo = by_listener_[listener_index];
  record->prev = fifo.tail;
  record->next = nullptr;
  if (fifo.tail != nullptr) fifo.tail->next = record;
  else fifo.head = record;
  fifo.tail = record;
  ++parked_;
  worker_.deadlines.wake();  // its idle deadline is checked on ticks
  return true;
}

void IdleParking::unlink(ParkedConnection& record) {
  Fifo& fifo = by_listener_[record.listener_index];
  if (record.prev != nullptr) record.prev->next = record.next;
  else fifo.head = record.next;
  if (record.next != nullptr) record.next->prev = record.prev;
  else fifo.tail = record.prev;
  --parked_;
}

void IdleParking::free_record(ParkedConnection& record) {
  record.ticket.reset();
  record.fd = -1;
  record.prev = nullptr;
  record.next = free_;
  free_ = &record;
}

// The connection ends while parked: what ~ProxySession would have counted.
void IdleParking::close_record(ParkedConnection& record) {
  unlink(record);
  ::close(record.fd);  // leaves the epoll set with it
  if (const auto& snapshot = worker_.upstreams.snapshot();
      snapshot && record.listener_index < snapshot->listener_stats.size()) {
    snapshot->listener_stats[record.listener_index]->local().connections_closed.add();
  }
  worker_.active_sessions.fetch_sub(1, std::memory_order_relaxed);
  free_record(record);
}

void IdleParking::tick(int64_t now_ms, bool draining) {
  // Sessions idle long enough leave Asio: their wait is cancelled and its handler parks them.
  while (idle_.next_ != &idle_ && idle_.next_->since_ms_ + kParkAfterMs <= now_ms) {
    IdleEntry& entry = *idle_.next_;
    entry.leave();
    entry.park_requested_ = true;
    asio::error_code ignored;
    entry.socket_->cancel(ignored);
  }
  for (Fifo& fifo : by_listener_) {
    while (fifo.head != nullptr && (draining || fifo.head->deadline_ms <= now_ms)) close_record(*fifo.head);
  }
}

// The same nesting as core::ReadinessLoop (an epoll set watched by the Asio loop), but the
// events name 64-byte records directly: a ReadinessLoop::Handler would add a vtable and a
// pointer back to this object to every parked connection (+25%).
void IdleParking::arm() {
  watcher_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const std::error_code& ec) {
    if (ec) return;  // closed
    dispatch();
    arm();
  });
}

void IdleParking::dispatch() {
  std::array<epoll_event, 64> events;
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      auto& record = *static_cast<ParkedConnection*>(events[i].data.ptr);
      // Level-triggered and taken out at once: an event of this batch names a live record, as
      // records are only freed here or by tick() (never during a batch).
      epoll_event ignored{};
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, record.fd, &ignored);
      unlink(record);
      if (resume_ != nullptr) {
        resume_(worker_, record);  // takes fd and ticket
      } else {
        ::close(record.fd);
        worker_.active_sessions.fetch_sub(1, std::memory_order_relaxed);
      }
      free_record(record);
    }
    if (n < static_cast<int>(events.size())) return;
  }
}

void IdleParking::close() {
  for (Fifo& fifo : by_listener_) {
    while (fifo.head != nullptr) close_record(*fifo.head);
  }
  if (watcher_) {
    std::error_code ignored;
    watcher_->cancel(ignored);
    watcher_->release();
    watcher_.reset();
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
}

}  // namespace fulcrum::http
