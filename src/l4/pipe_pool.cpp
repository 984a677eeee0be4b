#include "l4/pipe_pool.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace fulcrum::l4 {

void close_pipe(Pipe& pipe) {
  if (pipe.read_fd >= 0) ::close(pipe.read_fd);
  if (pipe.write_fd >= 0) ::close(pipe.write_fd);
  pipe = Pipe{};
}

PipePool::~PipePool() {
  for (auto& pipe : free_) close_pipe(pipe);
}

Pipe PipePool::take() {
  if (!free_.empty()) {
    Pipe pipe = free_.back();
    free_.pop_back();
    return pipe;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return Pipe{};
  // Refused (EPERM) when the user's pipes already use their soft limit: then it keeps Linux's size.
  ::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(kPipeBytes));
  return Pipe{fds[0], fds[1]};
}

void PipePool::give_back(Pipe pipe, bool empty) {
  if (!pipe) return;
  if (empty && free_.size() < max_cached_) {
    free_.push_back(pipe);
  } else {
    close_pipe(pipe);
  }
}

}  // namespace fulcrum::l4
