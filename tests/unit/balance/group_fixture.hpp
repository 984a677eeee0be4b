#pragma once
// Test helpers: a target group with its own counters, and share counting over many picks.
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "balance/picker.hpp"

namespace fulcrum::balance::testing {

inline const std::vector<Algorithm>& all_algorithms() {
  static const std::vector<Algorithm> kAll = {
      Algorithm::round_robin,           Algorithm::weighted_round_robin,
      Algorithm::ip_hash,               Algorithm::least_connections,
      Algorithm::weighted_least_connections, Algorithm::least_response_time,
      Algorithm::resource_based,        Algorithm::random_two_choices};
  return kAll;
}

inline std::string name_of(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::round_robin: return "round_robin";
    case Algorithm::weighted_round_robin: return "weighted_round_robin";
    case Algorithm::ip_hash: return "ip_hash";
    case Algorithm::least_connections: return "least_connections";
    case Algorithm::weighted_least_connections: return "weighted_least_connections";
    case Algorithm::least_response_time: return "least_response_time";
    case Algorithm::resource_based: return "resource_based";
    case Algorithm::random_two_choices: return "random_two_choices";
  }
  return "unknown";
}

// Algorithms that choose by connection counts only see traffic through their counters.
inline bool counts_connections(Algorithm algorithm) {
  return algorithm == Algorithm::least_connections || algorithm == Algorithm::weighted_least_connections ||
         algorithm == Algorithm::least_response_time || algorithm == Algorithm::resource_based;
}

// Keys for ip_hash: client addresses, hashed as the proxy would.
inline uint64_t client_key(uint32_t i) {
  return hash_key_bytes("192.168." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) +
                        "#" + std::to_string(i / 65536));
}

// Owns the counters (as the upstream room does) and builds TargetSets over them.
class Group {
 public:
  explicit Group(std::vector<uint32_t> weights) : counters_(weights.size()) {
    for (size_t i = 0; i < weights.size(); ++i) {
      Target target;
      target.key = hash_key_bytes("10.0.0." + std::to_string(i + 1) + ":8080");
      target.weight = weights[i];
      target.counters = &counters_[i];
      targets_.push_back(target);
    }
  }
  static Group equal(size_t count) { return Group(std::vector<uint32_t>(count, 1)); }

  Target& target(size_t i) { return targets_[i]; }
  TargetCounters& counters(size_t i) { return counters_[i]; }
  size_t size() const { return targets_.size(); }

  // Every target eligible unless listed in `ineligible`.
  std::shared_ptr<const TargetSet> set(std::vector<uint32_t> ineligible = {}) const {
    auto result = std::make_shared<TargetSet>();
    result->targets = targets_;
    for (uint32_t i = 0; i < targets_.size(); ++i) {
      bool skip = false;
      for (uint32_t j : ineligible) skip = skip || j == i;
      if (!skip) result->eligible.push_back(i);
    }
    return result;
  }

  std::unique_ptr<Picker> picker(Algorithm algorithm, Options options = {},
                                 std::vector<uint32_t> ineligible = {}) {
    options.algorithm = algorithm;
    factory_ = make_picker_factory(set(std::move(ineligible)), options);
    return factory_->for_worker(0);
  }

 private:
  std::deque<TargetCounters> counters_;  // atomics: never moved
  std::vector<Target> targets_;
  std::unique_ptr<PickerFactory> factory_;
};

// ip_hash requests get a different client key each time (request.hash is overwritten).
inline std::vector<double> shares(Picker& picker, size_t target_count, int picks,
                                  PickRequest request = {}, bool vary_key = false) {
  std::vector<double> counts(target_count, 0.0);
  for (int i = 0; i < picks; ++i) {
    if (vary_key) request.hash = client_key(static_cast<uint32_t>(i));
    const auto chosen = picker.pick(request);
    if (chosen) counts[*chosen] += 1.0;
  }
  for (double& count : counts) count /= picks;
  return counts;
}

inline std::vector<double> expected_by_weight(const std::vector<uint32_t>& weights) {
  double total = 0;
  for (uint32_t w : weights) total += w;
  std::vector<double> result;
  for (uint32_t w : weights) result.push_back(w / total);
  return result;
}

// Connections that live for `lifetime` picks: each pick opens one on the chosen target (active
// + 1) and the one opened `lifetime` picks ago closes. This is what makes connection-counting
// algorithms meaningful with otherwise static inputs. Returns per-target shares of picks.
inline std::vector<double> shares_with_churn(Picker& picker, Group& group, int picks, size_t lifetime,
                                             PickRequest request = {}, bool vary_key = false) {
  std::vector<double> counts(group.size(), 0.0);
  std::deque<uint32_t> open;
  for (int i = 0; i < picks; ++i) {
    if (vary_key) request.hash = client_key(static_cast<uint32_t>(i));
    const auto chosen = picker.pick(request);
    if (!chosen) continue;
    counts[*chosen] += 1.0;
    group.counters(*chosen).active.fetch_add(1);
    open.push_back(*chosen);
    if (open.size() > lifetime) {
      group.counters(open.front()).active.fetch_sub(1);
      open.pop_front();
    }
  }
  while (!open.empty()) {
    group.counters(open.front()).active.fetch_sub(1);
    open.pop_front();
  }
  for (double& count : counts) count /= picks;
  return counts;
}

// Weight mixes for the smoothness property: 2 to 8 targets, in odd rounds from a palette
// (equal weights share a class), in even rounds anything in 1..1000.
inline std::vector<uint32_t> random_weights(std::mt19937& random, int round) {
  const size_t count = 2 + random() % 7;
  std::vector<uint32_t> weights;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t palette[] = {1, 1, 2, 3, 5, 10, 100, 1000};
    weights.push_back(round % 2 ? palette[random() % 8] : 1 + random() % 1000);
  }
  return weights;
}

// The smoothness property of weighted turns: in any window of k <= 80 consecutive picks no
// target gets more than ceil(k * w / W) + 1. Returns the first window that breaks it, or "".
inline std::string first_unsmooth_window(const std::vector<uint32_t>& sequence,
                                         const std::vector<uint32_t>& weights) {
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  const size_t picks = sequence.size();
  std::vector<std::vector<int>> prefix(weights.size(), std::vector<int>(picks + 1, 0));
  for (size_t i = 0; i < picks; ++i) {
    for (size_t t = 0; t < weights.size(); ++t) prefix[t][i + 1] = prefix[t][i] + (t == sequence[i]);
  }
  for (size_t t = 0; t < weights.size(); ++t) {
    for (size_t k = 1; k <= 80; ++k) {
      const int limit = static_cast<int>(std::ceil(static_cast<double>(k) * weights[t] / total)) + 1;
      for (size_t start = 0; start + k <= picks; ++start) {
        if (prefix[t][start + k] - prefix[t][start] > limit) {
          return "target " + std::to_string(t) + " window " + std::to_string(k) + " at " +
                 std::to_string(start);
        }
      }
    }
  }
  return "";
}

}  // namespace fulcrum::balance::testing
