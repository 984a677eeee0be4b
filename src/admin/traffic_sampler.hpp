#pragma once
// Rates for people: every second, on the control thread, the sampler sums each listener's and
// target's counters and keeps the last kWindow samples, so the API and the dashboard can say
// "requests per second" (over the last second) and latency percentiles (over the last 10 s)
// instead of totals since start. Costs one pass over the counters per second, nothing on the
// data path.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "upstream/target_registry.hpp"

namespace fulcrum::admin {

struct TrafficRates {
  double requests_per_second = 0;  // HTTP requests, or TCP connections that ended
  // Request (HTTP) or connection (TCP) duration percentiles over the window, in ms; nullopt
  // when nothing finished in it.
  std::optional<double> p50_ms, p90_ms, p99_ms;
  uint64_t window_requests = 0;
};

class TrafficSampler {
 public:
  static constexpr size_t kWindow = 10;  // seconds of history for percentiles
  TrafficSampler(asio::io_context& loop, const upstream::TargetRegistry& registry);

  void start();
  void stop();
  // Samples now (the timer does it every second; tests may call it).
  void sample();

  std::optional<TrafficRates> listener(const std::string& name) const;
  std::optional<TrafficRates> target(const std::string& group, const std::string& address) const;

 private:
  struct Point {
    std::chrono::steady_clock::time_point at;
    uint64_t requests = 0;
    upstream::LatencyTotals latency;
  };
  using Series = std::deque<Point>;
  static void push(Series& series, Point point);
  static std::optional<TrafficRates> rates(const Series* series);
  void schedule();

  asio::steady_timer timer_;
  const upstream::TargetRegistry& registry_;
  std::map<std::string, Series, std::less<>> listeners_;
  std::map<std::pair<std::string, std::string>, Series> targets_;
  bool stopped_ = false;
};

}  // namespace fulcrum::admin
