#include "health/tcp_check_schedule.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fulcrum::health {

TcpCheckSchedule::TcpCheckSchedule(asio::io_context& loop, std::chrono::milliseconds slot)
    : loop_(loop), slot_(slot), timer_(loop) {}

TcpCheckSchedule::~TcpCheckSchedule() { clear(); }

uint64_t TcpCheckSchedule::add(const asio::ip::tcp::endpoint& address, std::chrono::milliseconds interval,
                               std::chrono::milliseconds timeout, Clock::time_point first_due, Done done) {
  auto entry = std::make_unique<Entry>();
  entry->id = next_id_++;
  entry->address = address;
  entry->interval = interval;
  entry->timeout = timeout;
  entry->due = first_due;
  entry->done = std::move(done);
  const uint64_t id = entry->id;
  entries_.push_back(std::move(entry));
  if (!waking_) arm();
  return id;
}

void TcpCheckSchedule::remove(uint64_t id) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [id](const auto& entry) { return entry->id == id; });
  if (it == entries_.end()) return;
  Entry& entry = **it;
  if (entry.fd >= 0) ::close(entry.fd);
  entry.fd = -1;
  entry.removed = true;
  // During a wake-up (from a `done`) the sweep holds pointers to entries: erased at its end.
  if (!waking_) erase_removed();
}

void TcpCheckSchedule::erase_removed() {
  std::erase_if(entries_, [](const auto& entry) { return entry->removed; });
  if (entries_.empty()) {
    timer_.cancel();
    armed_for_ = Clock::time_point::max();
  }
}

void TcpCheckSchedule::clear() {
  for (auto& entry : entries_) {
    if (entry->fd >= 0) ::close(entry->fd);
    entry->fd = -1;
    entry->removed = true;
  }
  if (!waking_) erase_removed();
}

void TcpCheckSchedule::wake() {
  waking_ = true;
  const auto now = Clock::now();
  collect(now);
  start_due(now);
  waking_ = false;
  erase_removed();
  arm();
}

// One poll() over every check in flight: connected (writable), refused (error), or still
// waiting; those past their timeout fail.
void TcpCheckSchedule::collect(Clock::time_point now) {
  polled_.clear();
  polled_entries_.clear();
  for (auto& entry : entries_) {
    if (entry->fd < 0) continue;
    polled_.push_back(pollfd{entry->fd, POLLOUT, 0});
    polled_entries_.push_back(entry.get());
  }
  if (polled_.empty()) return;
  if (::poll(polled_.data(), polled_.size(), 0) < 0) return;  // EINTR: next wake-up
  // Verdicts are handed out after the sweep: a `done` may remove entries (a reload).
  for (size_t i = 0; i < polled_.size(); ++i) {
    Entry& entry = *polled_entries_[i];
    if (entry.removed) continue;
    const short events = polled_[i].revents;
    if (events == 0) {
      if (now - entry.started >= entry.timeout) {
        finish(entry, failed_check("Target.Timeout", "no answer within " + format_timeout(entry.timeout)));
      }
      continue;
    }
    if ((events & (POLLERR | POLLHUP)) == 0) {  // writable and no error: connected
      finish(entry, CheckOutcome{true, "", "connected", std::nullopt});
      continue;
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    finish(entry, failed_check("Target.FailedConnection", describe_socket_error(error != 0 ? error : ECONNRESET)));
  }
}

void TcpCheckSchedule::start_due(Clock::time_point now) {
  // By index, re-reading size(): a verdict handed out by start() may add entries.
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& entry = *entries_[i];
    if (entry.removed || entry.fd >= 0 || entry.due > now) continue;
    do entry.due += entry.interval;
    while (entry.due <= now);
    start(entry, now);
  }
}

void TcpCheckSchedule::start(Entry& entry, Clock::time_point now) {
  const int fd = ::socket(entry.address.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    finish(entry, failed_check("Elb.InternalError", std::string("socket: ") + std::strerror(errno)));
    return;
  }
  // Closed with RST (SO_LINGER 0): no TIME_WAIT left behind by 1,000 checks a second.
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  const int off = 0;  // the delayed last ACK: see the header
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
  entry.fd = fd;
  entry.started = now;
  if (::connect(fd, entry.address.data(), static_cast<socklen_t>(entry.address.size())) == 0) {
    finish(entry, CheckOutcome{true, "", "connected", std::nullopt});
  } else if (errno != EINPROGRESS) {
    finish(entry, failed_check("Target.FailedConnection", describe_socket_error(errno)));
  }
}

void TcpCheckSchedule::finish(Entry& entry, CheckOutcome outcome) {
  ::close(entry.fd);
  entry.fd = -1;
  entry.done(std::move(outcome));  // may remove entries: they stay allocated until the wake-up ends
}

void TcpCheckSchedule::arm() {
  if (entries_.empty()) return;
  const auto now = Clock::now();
  // In flight: look again on the next slot. Otherwise sleep until the earliest due check.
  auto next = Clock::time_point::max();
  for (const auto& entry : entries_) {
    if (entry->removed) continue;
    next = std::min(next, entry->fd >= 0 ? now + slot_ : entry->due);
    if (next <= now + slot_) break;
  }
  next = std::max(next, now);
  if (next == armed_for_) return;
  armed_for_ = next;
  timer_.expires_at(next);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    armed_for_ = Clock::time_point::max();
    wake();
  });
}

}  // namespace fulcrum::health
