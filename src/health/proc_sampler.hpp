#pragma once
// The host figures `fulcrum agent` reports: CPU utilisation over the time since the previous
// sample (from /proc/stat) and memory in use (1 - MemAvailable / MemTotal, from /proc/meminfo).
// The root is a parameter so that a container can point it at a mounted host /proc.
#include <cstdint>
#include <string>

namespace fulcrum::health {

struct HostLoad {
  bool ok = false;
  std::string error;  // why the files could not be read
  uint32_t cpu_percent = 0;
  uint32_t mem_percent = 0;
};

class ProcSampler {
 public:
  explicit ProcSampler(std::string proc_root = "/proc") : root_(std::move(proc_root)) {}
  // The first sample has no earlier one to compare with: its CPU figure is 0.
  HostLoad sample();

 private:
  std::string root_;
  bool has_previous_ = false;
  uint64_t previous_total_ = 0;
  uint64_t previous_idle_ = 0;
};

}  // namespace fulcrum::health
