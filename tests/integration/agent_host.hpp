#pragma once
// A target host's `fulcrum agent` (tests/integration): it listens on the host's address and
// reads a /proc of the test's making, so the CPU and memory it reports are what the test sets,
// and a state file the operator's word (`fulcrum agent --state`) goes to.
#include <memory>
#include <string>

#include "harness.hpp"

namespace fulcrum::testing {

struct AgentHost {
  AgentHost(const TempDir& dir, const std::string& name, const std::string& ip, uint16_t agent_port);
  // The memory use the agent reports from its next sample (100 ms apart).
  void set_memory_percent(int percent);
  // `fulcrum agent --state WORD`: drain, maint, down, up. Its exit code.
  int set_state(const std::string& word);

  std::string proc, state_file;
  std::unique_ptr<Process> agent;
};

}  // namespace fulcrum::testing
