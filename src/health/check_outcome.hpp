#pragma once
// The result of one active check, with the ELB-style reason a person reads.
#include <optional>
#include <string>

#include "health/agent_reply.hpp"

namespace fulcrum::health {

struct CheckOutcome {
  bool ok = false;
  std::string reason_code;  // failures: "Target.Timeout", "Target.ResponseCodeMismatch", ...
  std::string reason;       // "no answer within 2s", "got 503, expected 200-399"
  std::optional<AgentReply> agent;  // agent checks: what the agent said
};

}  // namespace fulcrum::health
