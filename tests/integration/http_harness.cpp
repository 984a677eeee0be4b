#include "http_harness.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace fulcrum::testing {

HttpBackend::HttpBackend(const TempDir& dir, const std::string& name, std::vector<std::string> extra,
                         uint16_t fixed_port, std::string listen_host)
    : host(std::move(listen_host)),
      port(fixed_port != 0 ? fixed_port : free_port()),
      process(
          [&] {
            std::vector<std::string> argv{build_path("http_backend"), "--listen", address(), "--name", name};
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
          }(),
          dir.path(), "http-backend-" + name) {
  EXPECT_TRUE(process.wait_for_output("listening")) << "backend " << name << " did not start: " << process.errors();
}

std::vector<std::string> backend_names(const std::string& bodies) {
  std::vector<std::string> names;
  std::istringstream lines(bodies);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("backend ", 0) == 0) names.push_back(line.substr(8));
  }
  return names;
}

size_t HttpBackend::count(const std::string& prefix) const {
  std::istringstream lines(process.output());
  size_t n = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

CurlResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s"};
  bool has_time = false;
  for (const auto& a : args) has_time = has_time || a == "--max-time" || a == "-m";
  if (!has_time) {
    argv.push_back("--max-time");
    argv.push_back("20");
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return run_captured(std::move(argv), "/dev/null", false);
}

std::string raw_exchange(uint16_t port, const std::string& request, std::chrono::milliseconds timeout) {
  int fd = connect_to(port);
  if (fd < 0) return {};
  send_all(fd, request);
  std::string response = read_to_eof(fd, timeout);
  ::close(fd);
  return response;
}

int status_of(const std::string& response) {
  // curl -i prints an HTTP/2 answer's status line as "HTTP/2 200".
  if (response.size() >= 10 && response.rfind("HTTP/2 ", 0) == 0) return std::atoi(response.c_str() + 7);
  if (response.size() < 12 || response.rfind("HTTP/1.", 0) != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

WrkTotals parse_wrk(const std::string& output) {
  WrkTotals totals;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    unsigned long long a = 0, b = 0, c = 0, d = 0;
    double rate = 0;
    if (line.find("requests in") != std::string::npos && std::sscanf(line.c_str(), " %llu requests in", &a) == 1) {
      totals.requests = a;
      totals.parsed = true;
    } else if (std::sscanf(line.c_str(), " Non-2xx or 3xx responses: %llu", &a) == 1) {
      totals.non_2xx_3xx = a;
    } else if (std::sscanf(line.c_str(), " Socket errors: connect %llu, read %llu, write %llu, timeout %llu", &a, &b, &c,
                           &d) == 4) {
      totals.connect_errors = a;
      totals.read_errors = b;
      totals.write_errors = c;
      totals.timeouts = d;
    } else if (std::sscanf(line.c_str(), "Requests/sec: %lf", &rate) == 1) {
      totals.requests_per_second = rate;
    }
  }
  return totals;
}

std::unique_ptr<Process> start_wrk(const TempDir& dir, const std::string& url, int connections, int seconds,
                                   std::vector<std::string> extra) {
  std::vector<std::string> argv{"/usr/bin/wrk", "-t1", "-c" + std::to_string(connections),
                                "-d" + std::to_string(seconds) + "s"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  return std::make_unique<Process>(std::move(argv), dir.path(), "wrk");
}

double metric_sample(const std::string& metrics_text, const std::string& series) {
  const size_t at = metrics_text.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(metrics_text.substr(at + series.size() + 2));
}

long rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace fulcrum::testing
