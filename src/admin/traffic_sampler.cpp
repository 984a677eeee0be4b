#include "admin/traffic_sampler.hpp"

#include <set>

namespace fulcrum::admin {

TrafficSampler::TrafficSampler(asio::io_context& loop, const upstream::TargetRegistry& registry)
    : timer_(loop), registry_(registry) {}

void TrafficSampler::start() {
  sample();
  schedule();
}

void TrafficSampler::stop() {
  stopped_ = true;
  timer_.cancel();
}

void TrafficSampler::schedule() {
  if (stopped_) return;
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    sample();
    schedule();
  });
}

void TrafficSampler::push(Series& series, Point point) {
  series.push_back(std::move(point));
  while (series.size() > kWindow + 1) series.pop_front();
}

void TrafficSampler::sample() {
  const auto& snapshot = registry_.last();
  if (!snapshot) return;
  const auto now = std::chrono::steady_clock::now();
  const auto& config = *snapshot->config;
  for (size_t i = 0; i < config.listeners.size() && i < snapshot->listener_stats.size(); ++i) {
    const auto totals = snapshot->listener_stats[i]->sum();
    push(listeners_[config.listeners[i].name], Point{now, totals.requests(), totals.request});
  }
  std::set<std::pair<std::string, std::string>> present;
  for (const auto& group : snapshot->groups) {
    auto each = [&](const upstream::TargetInfo& t) {
      if (!t.stats) return;
      const auto totals = t.stats->sum();
      auto key = std::make_pair(group.name(), t.address_text);
      push(targets_[key], Point{now, totals.requests(), totals.request});
      present.insert(std::move(key));
    };
    for (const auto& t : group.targets) each(t);
    for (const auto& t : group.draining) each(t);
  }
  // Targets gone from the snapshot are forgotten (their history with them).
  std::erase_if(targets_, [&](const auto& entry) { return present.count(entry.first) == 0; });
}

std::optional<TrafficRates> TrafficSampler::rates(const Series* series) {
  if (series == nullptr || series->empty()) return std::nullopt;
  TrafficRates out;
  if (series->size() < 2) return out;
  const Point& newest = series->back();
  const Point& previous = (*series)[series->size() - 2];
  const double seconds = std::chrono::duration<double>(newest.at - previous.at).count();
  if (seconds > 0 && newest.requests >= previous.requests) {
    out.requests_per_second = static_cast<double>(newest.requests - previous.requests) / seconds;
  }
  const upstream::LatencyTotals window = newest.latency.minus(series->front().latency);
  out.window_requests = window.count;
  if (window.count > 0) {
    out.p50_ms = window.quantile_us(0.50) / 1000.0;
    out.p90_ms = window.quantile_us(0.90) / 1000.0;
    out.p99_ms = window.quantile_us(0.99) / 1000.0;
  }
  return out;
}

std::optional<TrafficRates> TrafficSampler::listener(const std::string& name) const {
  auto it = listeners_.find(name);
  return rates(it == listeners_.end() ? nullptr : &it->second);
}

std::optional<TrafficRates> TrafficSampler::target(const std::string& group, const std::string& address) const {
  auto it = targets_.find(std::make_pair(group, address));
  return rates(it == targets_.end() ? nullptr : &it->second);
}

}  // namespace fulcrum::admin
