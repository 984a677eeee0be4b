#include "balance/smooth_schedule.hpp"

#include <algorithm>
#include <cassert>
#include <numeric>
#include <queue>

namespace fulcrum::balance {
namespace {

std::vector<uint64_t> reduce_by_gcd(std::span<const uint64_t> weights) {
  uint64_t divisor = 0;
  for (const uint64_t weight : weights) divisor = std::gcd(divisor, weight);
  std::vector<uint64_t> reduced(weights.begin(), weights.end());
  if (divisor > 1) {
    for (uint64_t& weight : reduced) weight /= divisor;
  }
  return reduced;
}

// Scales weights so that they sum to about `target` while keeping their proportions.
std::vector<uint64_t> scale_to(const std::vector<uint64_t>& weights, uint64_t target) {
  const long double total = std::accumulate(weights.begin(), weights.end(), 0.0L);
  std::vector<uint64_t> scaled(weights.size());
  std::vector<std::pair<long double, size_t>> remainders;
  uint64_t assigned = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const long double exact = static_cast<long double>(weights[i]) * target / total;
    scaled[i] = static_cast<uint64_t>(exact);
    remainders.emplace_back(exact - static_cast<long double>(scaled[i]), i);
    assigned += scaled[i];
  }
  std::sort(remainders.begin(), remainders.end(),
            [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (size_t i = 0; assigned < target && i < remainders.size(); ++i, ++assigned) {
    ++scaled[remainders[i].second];
  }
  for (uint64_t& weight : scaled) weight = std::max<uint64_t>(weight, 1);  // nobody vanishes
  return scaled;
}

}  // namespace

std::vector<uint32_t> build_smooth_schedule(std::span<const uint64_t> weights, uint32_t max_length) {
  if (weights.empty()) return {};
  std::vector<uint64_t> w = reduce_by_gcd(weights);
  uint64_t total = std::accumulate(w.begin(), w.end(), uint64_t{0});
  if (total > max_length) {
    w = reduce_by_gcd(scale_to(w, std::max<uint64_t>(max_length, w.size())));
    total = std::accumulate(w.begin(), w.end(), uint64_t{0});
  }

  std::vector<uint64_t> picks(w.size(), 0);
  // Fractions a/b compared as a*d vs c*b; every term is at most `total`, far from overflow.
  const auto start_later = [&](uint32_t a, uint32_t b) {  // min-heap on picks/w, then index
    const uint64_t left = picks[a] * w[b];
    const uint64_t right = picks[b] * w[a];
    return left != right ? left > right : a > b;
  };
  const auto finish_later = [&](uint32_t a, uint32_t b) {  // min-heap on (picks+1)/w, start, index
    const uint64_t left = (picks[a] + 1) * w[b];
    const uint64_t right = (picks[b] + 1) * w[a];
    if (left != right) return left > right;
    return start_later(a, b);
  };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(start_later)> waiting(start_later);
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(finish_later)> ready(finish_later);
  for (uint32_t i = 0; i < w.size(); ++i) waiting.push(i);

  std::vector<uint32_t> schedule;
  schedule.reserve(total);
  for (uint64_t step = 0; step < total; ++step) {
    // Due once picks/w <= (step+1)/total. Keys of queued entries do not change while queued
    // (only the entry just picked changes, and it is out of both heaps at that moment).
    while (!waiting.empty() && picks[waiting.top()] * total <= (step + 1) * w[waiting.top()]) {
      ready.push(waiting.top());
      waiting.pop();
    }
    assert(!ready.empty() && "some entry is always due: the picks sum to step");
    const uint32_t chosen = ready.top();
    ready.pop();
    schedule.push_back(chosen);
    ++picks[chosen];
    waiting.push(chosen);
  }
  return schedule;
}

}  // namespace fulcrum::balance
