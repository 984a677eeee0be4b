#include "core/readiness_loop.hpp"

#include <unistd.h>

#include <asio/post.hpp>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace fulcrum::core {
namespace {
constexpr uintptr_t kTagMask = 7;
constexpr int kMaxEvents = 256;
}  // namespace

ReadinessLoop::ReadinessLoop(asio::io_context& loop) : loop_(loop) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  // The Asio descriptor only watches; the epoll descriptor stays ours (released in close()).
  watcher_.emplace(loop_, epoll_fd_);
  arm();
}

ReadinessLoop::~ReadinessLoop() { close(); }

int ReadinessLoop::watch(int fd, Handler* handler, unsigned tag, uint32_t events) {
  epoll_event event{};
  event.events = events | EPOLLET;
  event.data.u64 = reinterpret_cast<uintptr_t>(handler) | (tag & kTagMask);
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : errno;
}

void ReadinessLoop::unwatch(int fd) {
  epoll_event ignored{};
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ignored);
}

void ReadinessLoop::retire(std::unique_ptr<Handler> handler) {
  retired_.push_back(std::move(handler));
  // Posted, not done at the end of the batch: a handler may have posted work that names it
  // before it ended, and posted work runs in order, so the deletion comes after it.
  if (!delete_posted_) {
    delete_posted_ = true;
    asio::post(loop_, [this] { delete_retired(); });
  }
}

void ReadinessLoop::delete_retired() {
  delete_posted_ = false;
  // Deleting a handler may retire another; swap first so that the loop sees a stable list.
  std::vector<std::unique_ptr<Handler>> batch;
  batch.swap(retired_);
  batch.clear();
}

void ReadinessLoop::arm() {
  watcher_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const std::error_code& ec) {
    if (ec) return;  // closed
    dispatch();
    arm();
  });
}

void ReadinessLoop::dispatch() {
  std::array<epoll_event, kMaxEvents> events;
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events.data(), kMaxEvents, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (int i = 0; i < n; ++i) {
      auto* handler = reinterpret_cast<Handler*>(events[i].data.u64 & ~kTagMask);
      handler->on_ready(events[i].events, static_cast<unsigned>(events[i].data.u64 & kTagMask));
    }
    if (n < kMaxEvents) return;  // a full batch may have left more behind
  }
}

void ReadinessLoop::close() {
  if (watcher_) {
    std::error_code ignored;
    watcher_->cancel(ignored);
    watcher_->release();
    watcher_.reset();
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  epoll_fd_ = -1;
  retired_.clear();
}

}  // namespace fulcrum::core
