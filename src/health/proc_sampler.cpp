#include "health/proc_sampler.hpp"

#include <fstream>
#include <sstream>

namespace fulcrum::health {

HostLoad ProcSampler::sample() {
  HostLoad load;
  std::ifstream stat(root_ + "/stat");
  std::string label;
  // cpu  user nice system idle iowait irq softirq steal (guest times are inside user/nice)
  uint64_t fields[8] = {};
  if (!(stat >> label) || label != "cpu") {
    load.error = "cannot read the cpu line of " + root_ + "/stat";
    return load;
  }
  for (auto& field : fields) {
    if (!(stat >> field)) field = 0;
  }
  uint64_t total = 0;
  for (auto field : fields) total += field;
  const uint64_t idle = fields[3] + fields[4];
  if (has_previous_ && total > previous_total_) {
    const uint64_t busy = (total - previous_total_) - std::min(total - previous_total_, idle - previous_idle_);
    load.cpu_percent = static_cast<uint32_t>((busy * 100 + (total - previous_total_) / 2) / (total - previous_total_));
  }
  has_previous_ = true;
  previous_total_ = total;
  previous_idle_ = idle;

  std::ifstream meminfo(root_ + "/meminfo");
  std::string line;
  uint64_t mem_total = 0, mem_available = 0;
  bool have_available = false;
  while (std::getline(meminfo, line)) {
    std::istringstream words(line);
    std::string key;
    uint64_t value = 0;
    words >> key >> value;
    if (key == "MemTotal:") mem_total = value;
    if (key == "MemAvailable:") {
      mem_available = value;
      have_available = true;
    }
  }
  if (mem_total == 0 || !have_available) {
    load.error = "cannot read MemTotal and MemAvailable from " + root_ + "/meminfo";
    return load;
  }
  mem_available = std::min(mem_available, mem_total);
  load.mem_percent = static_cast<uint32_t>(((mem_total - mem_available) * 100 + mem_total / 2) / mem_total);
  load.ok = true;
  return load;
}

}  // namespace fulcrum::health
