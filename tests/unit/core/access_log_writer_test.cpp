#include "core/access_log_writer.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fulcrum::core {
namespace access_log_writer_test {

// Reads a pipe to its end on a thread of its own; `start_reading` lets a test hold it back
// (a log shipper that stopped reading).
class PipeReader {
 public:
  PipeReader() {
    int ends[2];
    EXPECT_EQ(::pipe2(ends, O_CLOEXEC), 0);
    read_end_ = ends[0];
    write_end = ends[1];
  }
  ~PipeReader() {
    close_write_end();
    start_reading();
    if (thread_.joinable()) thread_.join();
    ::close(read_end_);
  }
  void start_reading() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] {
      char buffer[65536];
      for (ssize_t n; (n = ::read(read_end_, buffer, sizeof buffer)) > 0;) text_.append(buffer, static_cast<size_t>(n));
    });
  }
  void close_write_end() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
  // Everything read, once the write end is closed.
  const std::string& all_text() {
    close_write_end();
    start_reading();
    thread_.join();
    return text_;
  }
  int write_end = -1;

 private:
  int read_end_ = -1;
  std::thread thread_;
  std::string text_;
};

std::string line_of(int thread, int number) {
  return "access thread=" + std::to_string(thread) + " line=" + std::to_string(number) + " path=/" +
         std::string(static_cast<size_t>(number % 97), 'x') + "\n";
}

// Checks that `text` is whole lines, each from line_of() or `other_prefix`, and that each
// thread's lines came in order (with gaps where lines were dropped). Returns how many access
// lines came from each thread.
std::map<int, int> check_lines(const std::string& text, const std::string& other_prefix = "") {
  std::map<int, int> next_of, count_of;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!other_prefix.empty() && line.rfind(other_prefix, 0) == 0) {
      EXPECT_EQ(line, other_prefix + std::string(200, 'd')) << "a diagnostic line was cut";
      continue;
    }
    int thread = -1, number = -1;
    EXPECT_EQ(std::sscanf(line.c_str(), "access thread=%d line=%d", &thread, &number), 2) << "a broken line: " << line;
    if (thread < 0) continue;
    EXPECT_EQ(line + "\n", line_of(thread, number)) << "a line mixed with another";
    EXPECT_GE(number, next_of[thread]) << "thread " << thread << "'s lines out of order";
    next_of[thread] = number + 1;
    ++count_of[thread];
  }
  return count_of;
}

TEST(AccessLogWriter, LinesFromManyThreadsArriveWholeAndInEachThreadsOrder) {
  PipeReader pipe;
  pipe.start_reading();
  const AccessLogCounts before = access_log_counts();
  constexpr int kThreads = 4, kLines = 5000;
  {
    AccessLogWriter writer(pipe.write_end);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t, fd = pipe.write_end] {
        for (int i = 0; i < kLines; ++i) {
          // A reader that keeps up: each thread's ring never fills.
          while (!queue_access_line(fd, line_of(t, i))) std::this_thread::yield();
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the writer writes what is queued, then stops
  const auto counts = check_lines(pipe.all_text());
  ASSERT_EQ(counts.size(), static_cast<size_t>(kThreads));
  for (const auto& [thread, lines] : counts) EXPECT_EQ(lines, kLines) << "thread " << thread;
  EXPECT_GE(access_log_counts().lines - before.lines, static_cast<uint64_t>(kThreads * kLines));
}

// Diagnostics write their own lines straight to the sink; on a pipe the access batches are at
// most PIPE_BUF bytes, so neither kind cuts into the other.
TEST(AccessLogWriter, OnAPipeSharedWithDiagnosticsNoLineIsCut) {
  PipeReader pipe;
  pipe.start_reading();
  const std::string diagnostic = "diag " + std::string(200, 'd') + "\n";
  {
    AccessLogWriter writer(pipe.write_end);
    std::thread access([fd = pipe.write_end] {
      for (int i = 0; i < 20000; ++i) {
        while (!queue_access_line(fd, line_of(0, i))) std::this_thread::yield();
      }
    });
    for (int i = 0; i < 2000; ++i) {
      EXPECT_EQ(::write(pipe.write_end, diagnostic.data(), diagnostic.size()),
                static_cast<ssize_t>(diagnostic.size()));
    }
    access.join();
  }
  const auto counts = check_lines(pipe.all_text(), "diag ");
  EXPECT_EQ(counts.at(0), 20000);
}

// A sink nobody reads: the worker's queue fills, lines are dropped and counted, and queueing
// never blocks. Once the sink is read again, lines flow again, whole.
TEST(AccessLogWriter, AStuckSinkCostsDroppedLinesNeverABlockedWorker) {
  PipeReader pipe;
  const AccessLogCounts before = access_log_counts();
  int refused = 0, accepted_after = 0, refused_after = 0;
  {
    AccessLogWriter writer(pipe.write_end);
    // The pipe (64 KiB) and the ring (256 KiB) hold about 3,000 of these lines: 20,000 overflow.
    for (int i = 0; i < 20000; ++i) {
      if (!queue_access_line(pipe.write_end, line_of(1, i))) ++refused;
    }
    EXPECT_GT(refused, 10000);
    pipe.start_reading();
    for (; accepted_after < 100; ++accepted_after) {
      // The writer empties the ring once the pipe drains; wait for that, not for a time.
      while (!queue_access_line(pipe.write_end, line_of(2, accepted_after))) {
        ++refused_after;  // counted as dropped too
        std::this_thread::yield();
      }
    }
  }
  EXPECT_EQ(access_log_counts().dropped - before.dropped, static_cast<uint64_t>(refused + refused_after));
  const auto counts = check_lines(pipe.all_text());
  EXPECT_EQ(counts.at(2), accepted_after);
  // Every line of the first burst that got in was written, in order (check_lines); no other.
  EXPECT_EQ(counts.at(1), 20000 - refused);
}

// A line longer than PIPE_BUF goes alone, whole, between the batches of shorter ones.
TEST(AccessLogWriter, OnAPipeALineLongerThanPipeBufArrivesWholeBetweenTheOthers) {
  PipeReader pipe;
  pipe.start_reading();
  const std::string long_line = "access thread=5 line=1 path=/" + std::string(3 * PIPE_BUF, 'y') + "\n";
  {
    AccessLogWriter writer(pipe.write_end);
    ASSERT_TRUE(queue_access_line(pipe.write_end, line_of(5, 0)));
    ASSERT_TRUE(queue_access_line(pipe.write_end, long_line));
    ASSERT_TRUE(queue_access_line(pipe.write_end, line_of(5, 2)));
  }
  EXPECT_EQ(pipe.all_text(), line_of(5, 0) + long_line + line_of(5, 2));
}

// A regular file gets the queued bytes as they are (no PIPE_BUF batching needed: one writer).
TEST(AccessLogWriter, AFileGetsEveryLine) {
  char path[] = "/tmp/access_log_writer_test.XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  {
    AccessLogWriter writer(fd);
    for (int i = 0; i < 30000; ++i) {
      while (!queue_access_line(fd, line_of(3, i))) std::this_thread::yield();
    }
  }
  std::string text;
  ::lseek(fd, 0, SEEK_SET);
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  ::unlink(path);
  EXPECT_EQ(check_lines(text).at(3), 30000);
}

// Without a running writer (validate, tools) a line is written at once.
TEST(AccessLogWriter, WithoutAWriterLinesAreWrittenAtOnce) {
  PipeReader pipe;
  EXPECT_TRUE(queue_access_line(pipe.write_end, line_of(4, 0)));
  EXPECT_EQ(pipe.all_text(), line_of(4, 0));
}

}  // namespace access_log_writer_test
}  // namespace fulcrum::core
