#include "upstream/outlier_doorbell.hpp"

#include <sys/eventfd.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>

namespace fulcrum::upstream {

OutlierDoorbell::OutlierDoorbell() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

OutlierDoorbell::~OutlierDoorbell() {
  if (fd_ >= 0) ::close(fd_);
}

void OutlierDoorbell::ring() const {
  const uint64_t one = 1;
  // A full counter (2^64 - 2 rings unread) fails with EAGAIN: the monitor is ringing already.
  if (fd_ < 0) return;
  [[maybe_unused]] const ssize_t written = ::write(fd_, &one, sizeof one);
}

int OutlierDoorbell::duplicate() const { return fd_ >= 0 ? ::fcntl(fd_, F_DUPFD_CLOEXEC, 0) : -1; }

}  // namespace fulcrum::upstream
