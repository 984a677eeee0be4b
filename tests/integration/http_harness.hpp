#pragma once
// Helpers for HTTP integration tests: the HTTP test backend (tests/support/http_backend.cpp)
// as a process, curl as the client, and raw-socket exchanges.
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace fulcrum::testing {

struct HttpBackend {
  // port 0: a free port; a given port restarts a backend where a killed one listened. `host`:
  // any loopback address ("127.0.0.2", "[::1]"), so that one port serves several targets.
  HttpBackend(const TempDir& dir, const std::string& name, std::vector<std::string> extra = {}, uint16_t port = 0,
              std::string host = "127.0.0.1");
  std::string host;
  uint16_t port;
  std::string address() const { return host + ":" + std::to_string(port); }
  // Lines of the backend's output starting with `prefix` ("accept ", "request GET /x").
  size_t count(const std::string& prefix) const;
  Process process;
};

using CurlResult = CommandResult;  // out: stdout (the body, or what -w/-i print)
// Runs curl with `args` (no shell); -s is added. Bounded by --max-time 20 unless given.
CurlResult curl(const std::vector<std::string>& args);

// Sends raw bytes on a new connection and reads until the server closes (or timeout).
std::string raw_exchange(uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 5s);

// Who answered, in order, from the bodies of the HTTP test backend's answers (each starts
// "backend NAME").
std::vector<std::string> backend_names(const std::string& bodies);

// The status code of the first response in `response` ("HTTP/1.1 400 ...", or "HTTP/2 400" as
// curl -i prints an HTTP/2 answer), 0 if none.
int status_of(const std::string& response);

// What wrk reports, counted as bench/reload_under_load.sh counts it: every answer that is not
// 2xx/3xx and every socket error is a failure.
struct WrkTotals {
  uint64_t requests = 0;
  double requests_per_second = 0;
  uint64_t non_2xx_3xx = 0;
  uint64_t connect_errors = 0;  // refused (or otherwise failed) connections
  uint64_t read_errors = 0, write_errors = 0, timeouts = 0;
  bool parsed = false;  // a summary was found
  uint64_t failures() const { return non_2xx_3xx + connect_errors + read_errors + write_errors + timeouts; }
};
WrkTotals parse_wrk(const std::string& output);
// `wrk -t1 -c CONNECTIONS -d SECONDS [extra...] URL` started in the background (Process::output()
// holds its report once it exits).
std::unique_ptr<Process> start_wrk(const TempDir& dir, const std::string& url, int connections, int seconds,
                                   std::vector<std::string> extra = {});

// The value of the sample `series` ("name" or "name{labels}") in Prometheus text from /metrics,
// or -1 when absent.
double metric_sample(const std::string& metrics_text, const std::string& series);

// A resident set size in KiB from /proc/PID/status.
long rss_kib(int pid);

}  // namespace fulcrum::testing
