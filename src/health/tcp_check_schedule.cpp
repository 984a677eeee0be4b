#include "health/tcp_check_schedule.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fulcrum::health {

namespace {
// Disconnected sockets kept per address family: more than one slot's checks at 1,000 targets a
// second, so steady checking opens no new socket.
constexpr size_t kSpareSockets = 64;
}  // namespace

TcpCheckSchedule::TcpCheckSchedule(asio::io_context& loop, std::chrono::milliseconds slot)
    : loop_(loop), slot_(slot), timer_(loop) {}

TcpCheckSchedule::~TcpCheckSchedule() {
  clear();
  for (int fd : spare_v4_) ::close(fd);
  for (int fd : spare_v6_) ::close(fd);
}

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
  wait_turn(*entry);
  entries_.emplace(id, std::move(entry));
  if (!waking_) arm();
  return id;
}

void TcpCheckSchedule::wait_turn(const Entry& entry) {
  waiting_.push_back(Waiting{entry.due, entry.id});
  std::push_heap(waiting_.begin(), waiting_.end(), std::greater<>{});
}

void TcpCheckSchedule::remove(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second->removed) return;
  Entry& entry = *it->second;
  if (entry.fd >= 0) ::close(entry.fd);
  entry.fd = -1;
  entry.removed = true;
  removed_.push_back(id);
  // During a wake-up (from a `done`) the sweep holds pointers to entries: erased at its end.
  if (!waking_) erase_removed();
}

void TcpCheckSchedule::erase_removed() {
  if (removed_.empty()) return;
  std::erase_if(in_flight_, [](const Entry* entry) { return entry->removed; });
  for (uint64_t id : removed_) entries_.erase(id);  // their queue nodes are dropped when reached
  removed_.clear();
  if (entries_.empty()) {
    waiting_.clear();
    timer_.cancel();
    armed_for_ = Clock::time_point::max();
  }
}

void TcpCheckSchedule::clear() {
  for (auto& [id, entry] : entries_) {
    if (entry->removed) continue;
    if (entry->fd >= 0) ::close(entry->fd);
    entry->fd = -1;
    entry->removed = true;
    removed_.push_back(id);
  }
  if (!waking_) erase_removed();
}

void TcpCheckSchedule::wake() {
  waking_ = true;
  const auto now = Clock::now();
  last_wake_ = now;
  collect(now);
  start_due(now);
  waking_ = false;
  erase_removed();
  arm();
}

// One poll() over the checks in flight: connected (writable), refused (error), or still
// waiting; those past their timeout fail.
void TcpCheckSchedule::collect(Clock::time_point now) {
  if (in_flight_.empty()) return;
  polled_.clear();
  for (const Entry* entry : in_flight_) polled_.push_back(pollfd{entry->fd, POLLOUT, 0});
  if (::poll(polled_.data(), polled_.size(), 0) < 0) return;  // EINTR: next wake-up
  // A `done` may add checks (they wait their turn: in_flight_ does not grow here) or remove
  // some (marked, erased after the wake-up): the pointers stay valid through the sweep.
  for (size_t i = 0; i < polled_.size(); ++i) {
    Entry& entry = *in_flight_[i];
    if (entry.removed) continue;
    const short events = polled_[i].revents;
    if (events == 0) {
      if (now - entry.started >= entry.timeout) {
        finish(entry, failed_check("Target.Timeout", "no answer within " + format_timeout(entry.timeout)), false);
      }
      continue;
    }
    if ((events & (POLLERR | POLLHUP)) == 0) {  // writable and no error: connected
      finish(entry, CheckOutcome{true, "", "connected", std::nullopt}, true);
      continue;
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    finish(entry, failed_check("Target.FailedConnection", describe_socket_error(error != 0 ? error : ECONNRESET)),
           false);
  }
  std::erase_if(in_flight_, [](const Entry* entry) { return entry->fd < 0; });
}

void TcpCheckSchedule::start_due(Clock::time_point now) {
  while (!waiting_.empty() && waiting_.front().due <= now) {
    std::pop_heap(waiting_.begin(), waiting_.end(), std::greater<>{});
    const uint64_t id = waiting_.back().id;
    waiting_.pop_back();
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;  // removed while it waited
    Entry& entry = *it->second;
    if (entry.removed || entry.fd >= 0) continue;
    do entry.due += entry.interval;
    while (entry.due <= now);
    start(entry, now);  // an immediate verdict queues it again, past `now`
  }
}

int TcpCheckSchedule::take_socket(int family) {
  auto& spares = family == AF_INET6 ? spare_v6_ : spare_v4_;
  int fd;
  if (!spares.empty()) {
    fd = spares.back();
    spares.pop_back();
  } else {
    fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) return -1;
    // A close resets (SO_LINGER 0): no TIME_WAIT left behind by 1,000 checks a second.
    const linger abort_on_close{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }
  // The delayed last ACK (see the header); a disconnect resets the ACK mode, so every time.
  const int off = 0;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
  return fd;
}

void TcpCheckSchedule::keep_or_close(int fd, int family) {
  auto& spares = family == AF_INET6 ? spare_v6_ : spare_v4_;
  // connect(AF_UNSPEC) resets an established connection and leaves the socket unconnected.
  sockaddr unspecified{};
  unspecified.sa_family = AF_UNSPEC;
  if (spares.size() < kSpareSockets && ::connect(fd, &unspecified, sizeof unspecified) == 0) {
    spares.push_back(fd);
  } else {
    ::close(fd);
  }
}

void TcpCheckSchedule::start(Entry& entry, Clock::time_point now) {
  const int family = entry.address.protocol().family();
  const int fd = take_socket(family);
  if (fd < 0) {
    finish(entry, failed_check("Elb.InternalError", std::string("socket: ") + std::strerror(errno)), false);
    return;
  }
  entry.fd = fd;
  entry.started = now;
  if (::connect(fd, entry.address.data(), static_cast<socklen_t>(entry.address.size())) == 0) {
    finish(entry, CheckOutcome{true, "", "connected", std::nullopt}, true);
  } else if (errno != EINPROGRESS) {
    finish(entry, failed_check("Target.FailedConnection", describe_socket_error(errno)), false);
  } else {
    in_flight_.push_back(&entry);
  }
}

void TcpCheckSchedule::finish(Entry& entry, CheckOutcome outcome, bool connected) {
  const int fd = entry.fd;
  entry.fd = -1;
  if (fd >= 0) {
    if (connected) {
      keep_or_close(fd, entry.address.protocol().family());
    } else {
      ::close(fd);
    }
  }
  wait_turn(entry);
  entry.done(std::move(outcome));  // may remove entries: they stay allocated until the wake-up ends
}

void TcpCheckSchedule::arm() {
  if (entries_.empty()) return;
  // In flight: look again on the next slot. Otherwise sleep until the earliest due check.
  auto next = Clock::time_point::max();
  if (!in_flight_.empty()) next = Clock::now() + slot_;
  if (!waiting_.empty()) next = std::min(next, waiting_.front().due);
  if (next == Clock::time_point::max()) return;
  // Due times sit on slot boundaries (the monitor aligns them): checks of one slot start on one
  // wake-up. Never two wake-ups within half a slot, whatever the due times.
  next = std::max(next, last_wake_ + slot_ / 2);
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
