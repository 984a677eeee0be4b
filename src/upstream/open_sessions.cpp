#include "upstream/open_sessions.hpp"

#include <sys/socket.h>

namespace fulcrum::upstream {

OpenSessions::Entry::Entry(OpenSessions& list, const TrafficOutcomes* target, int client_fd, int target_fd)
    : list_(list), target_(target), client_fd_(client_fd), target_fd_(target_fd) {
  next_ = list_.head_;
  if (next_ != nullptr) next_->prev_ = this;
  list_.head_ = this;
  ++list_.size_;
}

OpenSessions::Entry::~Entry() {
  if (prev_ != nullptr) prev_->next_ = next_;
  else list_.head_ = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  --list_.size_;
}

size_t OpenSessions::close_target(const TrafficOutcomes* target) {
  size_t closed = 0;
  for (Entry* entry = head_; entry != nullptr; entry = entry->next_) {
    if (entry->target_ != target || entry->closed_) continue;
    entry->closed_ = true;
    // The descriptors are still open: the entry is unlinked before its session closes them.
    ::shutdown(entry->target_fd_, SHUT_RDWR);
    if (entry->client_fd_ >= 0) ::shutdown(entry->client_fd_, SHUT_RDWR);
    ++closed;
  }
  return closed;
}

}  // namespace fulcrum::upstream
