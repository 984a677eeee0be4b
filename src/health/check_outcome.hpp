#pragma once
// The result of one active check, with the ELB-style reason a person reads.
#include <chrono>
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

inline CheckOutcome failed_check(std::string code, std::string reason) {
  return CheckOutcome{false, std::move(code), std::move(reason), std::nullopt};
}

// A socket error (errno value) as the reason sentence says it: "connection refused".
std::string describe_socket_error(int error);
// "2s", "500ms": the timeout as the reason sentence "no answer within 2s" says it.
std::string format_timeout(std::chrono::milliseconds timeout);

}  // namespace fulcrum::health
