// The access log under load, as users run it: to a pipe whose reader (a log shipper) stops
// reading, Fulcrum drops lines and counts them, and serves every request; lines that get
// through are whole; and the process still stops when asked.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>
#include <string>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace access_log_test {

TEST(AccessLog, AStuckPipeDropsLinesAndHoldsNoRequestUp) {
  TempDir dir;
  HttpBackend backend(dir, "b", {"--quiet"});
  const uint16_t port = free_port();
  const std::string fifo = dir.path() + "/access.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // The reader opens and never reads: the pipe's 64 KiB fill, then Fulcrum's queues.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  auto fulcrum = start_fulcrum(dir,
                               "listeners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(port) +
                                   ", protocol: http, default: { forward: be } }\ntarget_groups:\n"
                                   "  - { name: be, targets: [ { address: " +
                                   backend.address() + " } ] }\n",
                               port, {"--access-log", fifo});
  auto wrk = start_wrk(dir, "http://127.0.0.1:" + std::to_string(port) + "/", 20, 2, {"--timeout", "2s"});
  ASSERT_TRUE(wrk->wait(30s).has_value());
  const WrkTotals totals = parse_wrk(wrk->output());
  ASSERT_TRUE(totals.parsed) << wrk->output();
  EXPECT_EQ(totals.failures(), 0u) << wrk->output();
  // Far more lines than the pipe and two workers' queues (2 x 256 KiB) hold.
  EXPECT_GT(totals.requests, 20000u) << wrk->output();

  const auto metrics = curl({"http://" + admin_address(*fulcrum) + "/metrics"});
  const double lines = metric_sample(metrics.out, "fulcrum_access_log_lines_total");
  const double dropped = metric_sample(metrics.out, "fulcrum_access_log_lines_dropped_total");
  EXPECT_GT(dropped, 0) << metrics.out;
  // Each request's line was either queued or dropped (the metrics request's own line may come
  // after the rendering).
  EXPECT_GE(lines + dropped, static_cast<double>(totals.requests)) << metrics.out;

  // Stopping does not wait for a reader that never comes.
  fulcrum->signal(SIGTERM);
  EXPECT_TRUE(fulcrum->wait(10s).has_value()) << "fulcrum did not exit with its access pipe full";

  // What did get into the pipe is whole lines.
  ::fcntl(reader, F_SETFL, 0);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(reader, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  ::close(reader);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  std::istringstream in(text);
  size_t count = 0;
  for (std::string line; std::getline(in, line); ++count) {
    ASSERT_NE(line.find(" info http.request "), std::string::npos) << "line " << count << ": " << line;
    ASSERT_NE(line.find(" status=200"), std::string::npos) << "line " << count << ": " << line;
  }
  EXPECT_GT(count, 100u);
}

}  // namespace access_log_test
}  // namespace fulcrum::testing
