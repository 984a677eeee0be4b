#pragma once
// Control-thread owner of everything about targets that outlives one snapshot: the shared
// counters (active connections, response-time EWMA, reported load) and eligibility. A target
// keeps its counters across reloads as long as its group and address stay the same.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {

balance::Algorithm to_balance_algorithm(config::Algorithm algorithm);

class TargetRegistry {
 public:
  // Builds a new snapshot for this configuration. Targets seen before keep their counters and
  // the time they became eligible (slow start must not restart on every reload).
  std::shared_ptr<const Snapshot> build(std::shared_ptr<const config::Config> config, int64_t now_ms);

 private:
  struct TargetRecord {
    std::shared_ptr<balance::TargetCounters> counters;
    int64_t eligible_since_ms = 0;
  };
  using Key = std::pair<std::string, std::string>;  // group name, canonical address
  std::map<Key, TargetRecord> records_;
  std::shared_ptr<const Snapshot> last_;  // the latest built; its factories seed the next
  uint64_t next_version_ = 1;
};

}  // namespace fulcrum::upstream
