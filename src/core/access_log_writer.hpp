#pragma once
// Access-log lines leave the request path. A worker copies each whole line into a ring of its
// own (kRingBytes, fixed) and goes on; one writer thread takes what the rings hold and writes
// it to the access sink in batches, so a request costs a copy, not a write(2), and a slow disk
// or a stuck pipe (a log shipper that stopped reading) stalls the writer, never a worker.
// When a ring is full the line is dropped and counted (fulcrum_access_log_lines_dropped_total):
// memory stays bounded whatever the sink does.
//
// Lines never interleave: only the writer thread writes the access sink while it runs, and a
// ring holds whole lines. On a sink that is not a regular file (a pipe, a socket, a terminal,
// possibly shared with the diagnostics), each write(2) is at most PIPE_BUF bytes of whole lines,
// which the kernel writes in one piece; only a line longer than that is written alone, in parts.
//
// Without a running writer (validate, tests, before start), lines are written at once, one
// write(2) each, as before.
#include <cstdint>
#include <string_view>

namespace fulcrum::core {

inline constexpr size_t kAccessLogRingBytes = 256 * 1024;  // per thread that logs

struct AccessLogCounts {
  uint64_t lines = 0;    // queued to the writer (or written directly)
  uint64_t dropped = 0;  // refused: the thread's ring was full
};

// Starts the writer thread for the access sink `fd`; stops it, after writing everything queued,
// when destroyed. One per process (run, demo), created after configure_logging().
class AccessLogWriter {
 public:
  explicit AccessLogWriter(int fd);
  ~AccessLogWriter();
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

 private:
  bool started_ = false;  // false when fd < 0, or another writer was running already
};

// Queues one line, which ends in '\n'. False when it was dropped.
bool queue_access_line(int fd, std::string_view line);

AccessLogCounts access_log_counts();

}  // namespace fulcrum::core
