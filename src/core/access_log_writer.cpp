#include "core/access_log_writer.hpp"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/write_all.hpp"

namespace fulcrum::core {
namespace {

constexpr std::chrono::milliseconds kBatchWindow{5};

// Lines one thread queued and the writer has not written yet. One producer (its thread), one
// consumer (the writer); positions count bytes since the start, the buffer is used modulo its size.
struct LineRing {
  alignas(64) std::atomic<uint64_t> tail{0};  // advanced by the producer after copying a line in
  std::atomic<uint64_t> lines{0};
  std::atomic<uint64_t> dropped{0};
  alignas(64) std::atomic<uint64_t> head{0};  // advanced by the writer after writing
  std::atomic<bool> retired{false};           // its thread has ended: freed once drained
  std::unique_ptr<char[]> data = std::make_unique_for_overwrite<char[]>(kAccessLogRingBytes);
};

struct WriterState {
  std::mutex mutex;  // guards `rings` and the retired totals; taken once per thread that logs
  std::vector<std::shared_ptr<LineRing>> rings;
  std::atomic<uint64_t> rings_version{0};
  uint64_t retired_lines = 0;
  uint64_t retired_dropped = 0;
  std::atomic<uint64_t> direct_lines{0};  // written without the writer
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint32_t> sleeping{0};  // 1 while the writer waits for a line
  int fd = -1;
  bool whole_lines_per_write = false;  // the sink is not a regular file
  bool sink_abandoned = false;         // the writer, stopping, found the sink full: nothing more is written
  std::thread thread;
};

WriterState& writer_state() {
  static WriterState state;
  return state;
}

struct ThreadRing {
  std::shared_ptr<LineRing> ring;
  ~ThreadRing() {
    if (ring) ring->retired.store(true, std::memory_order_release);
  }
};

LineRing& this_thread_ring() {
  thread_local ThreadRing mine;
  if (!mine.ring) {
    mine.ring = std::make_shared<LineRing>();
    WriterState& state = writer_state();
    std::lock_guard lock(state.mutex);
    state.rings.push_back(mine.ring);
    state.rings_version.fetch_add(1, std::memory_order_release);
  }
  return *mine.ring;
}

// Writes every byte of `parts` unless the sink fails; on a sink that is not a regular file,
// waits for room with poll(), and gives up once the writer is stopping and the sink stays full
// (a stuck pipe must not hold the process at exit).
void write_parts(WriterState& state, iovec* parts, int count) {
  while (count > 0 && !state.sink_abandoned) {
    if (state.whole_lines_per_write) {
      pollfd ready{state.fd, POLLOUT, 0};
      const int polled = ::poll(&ready, 1, 100);
      if (polled == 0) {
        state.sink_abandoned = state.stopping.load(std::memory_order_acquire);
        continue;
      }
      if (polled < 0 && errno != EINTR) return;
      if (polled < 0) continue;
    }
    const ssize_t n = ::writev(state.fd, parts, count);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;  // a full disk or a closed pipe: the lines are lost, the balancer goes on
    }
    size_t done = static_cast<size_t>(n);
    while (count > 0 && done >= parts->iov_len) {
      done -= parts->iov_len;
      ++parts;
      --count;
    }
    if (count > 0) {
      parts->iov_base = static_cast<char*>(parts->iov_base) + done;
      parts->iov_len -= done;
    }
  }
}

void write_text(WriterState& state, std::string_view text) {
  iovec part{const_cast<char*>(text.data()), text.size()};
  write_parts(state, &part, 1);
}

// The bytes [from, to) of a ring, as at most two spans (the second after the wrap).
struct RingSpans {
  std::string_view first, second;
};
RingSpans spans_of(const LineRing& ring, uint64_t from, uint64_t to) {
  const size_t offset = static_cast<size_t>(from % kAccessLogRingBytes);
  const size_t size = static_cast<size_t>(to - from);
  const size_t first = std::min(size, kAccessLogRingBytes - offset);
  return {std::string_view(ring.data.get() + offset, first), std::string_view(ring.data.get(), size - first)};
}

// A sink that is not a regular file gets whole lines, at most PIPE_BUF bytes per write(2).
void write_in_line_batches(WriterState& state, const RingSpans& spans, std::string& batch) {
  batch.clear();
  std::string_view rest[2] = {spans.first, spans.second};
  for (size_t s = 0; s < 2;) {
    // The next line: up to its '\n', in one span or, across the wrap, in both.
    std::string_view head = rest[s], tail;
    size_t end = head.find('\n');
    if (end == std::string_view::npos && s == 0) {
      tail = rest[1];
      end = tail.find('\n');
      tail = tail.substr(0, end == std::string_view::npos ? tail.size() : end + 1);
      s = 1;
      rest[1].remove_prefix(tail.size());
    } else {
      head = head.substr(0, end == std::string_view::npos ? head.size() : end + 1);
      rest[s].remove_prefix(head.size());
    }
    if (rest[s].empty()) ++s;
    if (!batch.empty() && batch.size() + head.size() + tail.size() > PIPE_BUF) {
      write_text(state, batch);
      batch.clear();
    }
    batch.append(head).append(tail);
    if (batch.size() > PIPE_BUF) {  // one line longer than the kernel writes in one piece: alone
      write_text(state, batch);
      batch.clear();
    }
  }
  if (!batch.empty()) write_text(state, batch);
}

// Writes what every ring holds; frees the rings of threads that ended. Returns the bytes written.
size_t drain(WriterState& state, std::vector<std::shared_ptr<LineRing>>& rings, uint64_t& rings_version,
             std::string& batch) {
  if (state.rings_version.load(std::memory_order_acquire) != rings_version) {
    std::lock_guard lock(state.mutex);
    rings = state.rings;
    rings_version = state.rings_version.load(std::memory_order_relaxed);
  }
  size_t total = 0;
  bool any_retired = false;
  for (const auto& ring : rings) {
    const bool retired = ring->retired.load(std::memory_order_acquire);
    const uint64_t head = ring->head.load(std::memory_order_relaxed);
    const uint64_t tail = ring->tail.load(std::memory_order_acquire);
    any_retired = any_retired || retired;
    if (tail == head) continue;
    const RingSpans spans = spans_of(*ring, head, tail);
    if (state.whole_lines_per_write) {
      write_in_line_batches(state, spans, batch);
    } else {
      iovec parts[2] = {{const_cast<char*>(spans.first.data()), spans.first.size()},
                        {const_cast<char*>(spans.second.data()), spans.second.size()}};
      write_parts(state, parts, spans.second.empty() ? 1 : 2);
    }
    ring->head.store(tail, std::memory_order_release);
    total += static_cast<size_t>(tail - head);
  }
  if (any_retired) {
    std::lock_guard lock(state.mutex);
    std::erase_if(state.rings, [&](const std::shared_ptr<LineRing>& ring) {
      const bool gone = ring->retired.load(std::memory_order_acquire) &&
                        ring->head.load(std::memory_order_relaxed) == ring->tail.load(std::memory_order_acquire);
      if (gone) {
        state.retired_lines += ring->lines.load(std::memory_order_relaxed);
        state.retired_dropped += ring->dropped.load(std::memory_order_relaxed);
      }
      return gone;
    });
    state.rings_version.fetch_add(1, std::memory_order_release);
  }
  return total;
}

bool any_queued(WriterState& state) {
  std::lock_guard lock(state.mutex);
  for (const auto& ring : state.rings) {
    if (ring->tail.load(std::memory_order_seq_cst) != ring->head.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

void run_writer(WriterState& state) {
  std::vector<std::shared_ptr<LineRing>> rings;
  uint64_t rings_version = ~uint64_t{0};
  std::string batch;
  batch.reserve(PIPE_BUF);
  for (;;) {
    const bool stopping = state.stopping.load(std::memory_order_acquire);
    if (drain(state, rings, rings_version, batch) > 0) {
      // Under load, let lines gather: one write(2) then carries many, and the thread wakes 200
      // times a second, not once per line. A ring holds 5 ms of lines with room to spare: at
      // 100,000 lines/s (more than a worker serves) 256 KiB hold 5 ms of 500-byte lines.
      if (!stopping) std::this_thread::sleep_for(kBatchWindow);
      continue;
    }
    if (stopping) return;
    // Nothing queued: sleep until a producer finds `sleeping` set. Set first, then look again,
    // as the producers publish first and look at `sleeping` after (both sequentially consistent).
    state.sleeping.store(1, std::memory_order_seq_cst);
    if (any_queued(state) || state.stopping.load(std::memory_order_seq_cst)) {
      state.sleeping.store(0, std::memory_order_relaxed);
      continue;
    }
    state.sleeping.wait(1, std::memory_order_seq_cst);
  }
}

void wake_writer(WriterState& state) {
  if (state.sleeping.load(std::memory_order_seq_cst) != 0 && state.sleeping.exchange(0) != 0) {
    state.sleeping.notify_one();
  }
}

}  // namespace

AccessLogWriter::AccessLogWriter(int fd) {
  WriterState& state = writer_state();
  if (fd < 0 || state.running.load()) return;
  struct stat info {};
  state.fd = fd;
  state.whole_lines_per_write = ::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode);
  state.stopping.store(false);
  state.sink_abandoned = false;
  state.sleeping.store(0);
  state.thread = std::thread([&state] { run_writer(state); });
  state.running.store(true, std::memory_order_release);
  started_ = true;
}

AccessLogWriter::~AccessLogWriter() {
  WriterState& state = writer_state();
  if (!started_) return;
  // Lines queued from now on are written directly; those already queued, by the writer.
  state.running.store(false, std::memory_order_seq_cst);
  state.stopping.store(true, std::memory_order_seq_cst);
  state.sleeping.store(0, std::memory_order_seq_cst);
  state.sleeping.notify_one();
  state.thread.join();
  // A line queued after the writer's last look, by a thread that saw it running.
  std::vector<std::shared_ptr<LineRing>> rings;
  uint64_t rings_version = ~uint64_t{0};
  std::string batch;
  drain(state, rings, rings_version, batch);
}

bool queue_access_line(int fd, std::string_view line) {
  WriterState& state = writer_state();
  if (!state.running.load(std::memory_order_acquire) || fd != state.fd) {
    write_all(fd, line);
    state.direct_lines.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  LineRing& ring = this_thread_ring();
  const uint64_t tail = ring.tail.load(std::memory_order_relaxed);
  const uint64_t head = ring.head.load(std::memory_order_acquire);
  if (line.size() > kAccessLogRingBytes - static_cast<size_t>(tail - head)) {
    ring.dropped.store(ring.dropped.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    wake_writer(state);
    return false;
  }
  const size_t offset = static_cast<size_t>(tail % kAccessLogRingBytes);
  const size_t first = std::min(line.size(), kAccessLogRingBytes - offset);
  std::memcpy(ring.data.get() + offset, line.data(), first);
  std::memcpy(ring.data.get(), line.data() + first, line.size() - first);
  // Sequentially consistent, as the writer's `sleeping` store: either it sees this line when it
  // looks again before sleeping, or this thread sees it asleep and wakes it.
  ring.tail.store(tail + line.size(), std::memory_order_seq_cst);
  ring.lines.store(ring.lines.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  wake_writer(state);
  return true;
}

AccessLogCounts access_log_counts() {
  WriterState& state = writer_state();
  AccessLogCounts counts;
  std::lock_guard lock(state.mutex);
  counts.lines = state.retired_lines + state.direct_lines.load(std::memory_order_relaxed);
  counts.dropped = state.retired_dropped;
  for (const auto& ring : state.rings) {
    counts.lines += ring->lines.load(std::memory_order_relaxed);
    counts.dropped += ring->dropped.load(std::memory_order_relaxed);
  }
  return counts;
}

}  // namespace fulcrum::core
