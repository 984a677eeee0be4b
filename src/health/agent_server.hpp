#pragma once
// `fulcrum agent`: runs on a target host and answers HAProxy's agent-check protocol (one line,
// then close) with the host's CPU and memory use and the operator's word:
//   "up 38% cpu:12 mem:62\n"     or "drain 38% cpu:12 mem:62 # kernel upgrade\n"
// CPU and memory are sampled every sample_interval (never per connection); the word comes
// from the state file written by `fulcrum agent --state ...`.
#include <chrono>
#include <string>

namespace fulcrum::health {

struct AgentOptions {
  std::string listen = "0.0.0.0:5555";
  std::string state_file = "/run/fulcrum/agent.state";
  std::string proc_root = "/proc";
  std::chrono::milliseconds sample_interval{1000};
};

// Serves until SIGTERM or SIGINT; returns the process exit code (1 when it cannot listen).
int run_agent(const AgentOptions& options);

}  // namespace fulcrum::health
