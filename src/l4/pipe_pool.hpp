#pragma once
// Per-worker pool of kernel pipes for splice(): socket -> pipe -> socket moves bytes without
// copying them through user space. Creating a pipe costs two syscalls and closing it two
// more, so empty pipes are kept for the next bulk transfer (HAProxy keeps a pipe pool too).
#include <cstddef>
#include <vector>

namespace fulcrum::l4 {

struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  explicit operator bool() const { return read_fd >= 0; }
};

class PipePool {
 public:
  explicit PipePool(size_t max_cached = 64) : max_cached_(max_cached) {}
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A pipe, or an invalid one when the system refuses more (the caller then copies instead).
  Pipe take();
  // Returns a pipe; `empty` says whether it holds no bytes (a pipe with data is closed).
  void give_back(Pipe pipe, bool empty);

 private:
  size_t max_cached_;
  std::vector<Pipe> free_;
};

void close_pipe(Pipe& pipe);

}  // namespace fulcrum::l4
