#pragma once
// Per-worker pool of kernel pipes for splice(): socket -> pipe -> socket moves bytes without
// copying them through user space. Creating a pipe costs two syscalls and closing it two
// more, so empty pipes are kept for the next bulk transfer (HAProxy keeps a pipe pool too).
#include <cstddef>
#include <vector>

namespace fulcrum::l4 {

// Each pipe is set to 256 KiB (F_SETPIPE_SZ) instead of Linux's 64 KiB: one stream through a
// 64 KiB pipe moved 10-12 Gbit/s against HAProxy's 13-14 without splice; at 256 KiB and above
// each splice() moves four times more per system call and wake-up (docs/design/tcp-data-path.md
// § Pipe size). Not larger: a pipe's size counts against its user's pipe-user-pages-soft
// (64 MiB) whether it holds data or not, and an unprivileged user's pipes beyond that are cut
// to one page; 16 pooled per worker of 256 KiB are 4 MiB.
inline constexpr size_t kPipeBytes = 256 * 1024;

struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  explicit operator bool() const { return read_fd >= 0; }
};

class PipePool {
 public:
  explicit PipePool(size_t max_cached = 16) : max_cached_(max_cached) {}
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
