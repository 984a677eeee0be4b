#pragma once
// Helpers for HTTP integration tests: the HTTP test backend (tests/support/http_backend.cpp)
// as a process, curl as the client, and raw-socket exchanges.
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace fulcrum::testing {

struct HttpBackend {
  HttpBackend(const TempDir& dir, const std::string& name, std::vector<std::string> extra = {});
  uint16_t port;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  // Lines of the backend's output starting with `prefix` ("accept ", "request GET /x").
  size_t count(const std::string& prefix) const;
  Process process;
};

using CurlResult = CommandResult;  // out: stdout (the body, or what -w/-i print)
// Runs curl with `args` (no shell); -s is added. Bounded by --max-time 20 unless given.
CurlResult curl(const std::vector<std::string>& args);

// Sends raw bytes on a new connection and reads until the server closes (or timeout).
std::string raw_exchange(uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 5s);

// The status code of the first response in `response` ("HTTP/1.1 400 ..."), 0 if none.
int status_of(const std::string& response);

// A resident set size in KiB from /proc/PID/status.
long rss_kib(int pid);

}  // namespace fulcrum::testing
