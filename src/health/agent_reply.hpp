#pragma once
// The HAProxy agent-check text protocol, both ways. An agent answers a connection with one
// line of words separated by spaces, tabs or commas and closes it:
//   up | ready            the host takes traffic
//   drain                 no new connections; open ones may finish
//   maint                 maintenance: no new connections
//   down | fail | stopped the host cannot serve
//   75%                   capacity left (HAProxy scales the weight by it)
//   cpu:40 mem:62         Fulcrum's extension: utilisation in percent
//   # text                a comment (the rest of the line)
// Unknown words are ignored, as HAProxy does, so agents of either kind interoperate.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::health {

enum class AgentWord { none, up, drain, maint, down };

struct AgentReply {
  AgentWord state = AgentWord::none;  // none: the line named no state
  std::optional<uint32_t> capacity_percent;
  std::optional<uint32_t> cpu_percent;
  std::optional<uint32_t> mem_percent;
  std::string comment;

  // The load that feeds resource_based, 0..1000: the larger of cpu and mem when reported,
  // otherwise 100% minus the capacity; nullopt when the line carries no figure.
  std::optional<uint32_t> load_permille() const;
};

AgentReply parse_agent_reply(std::string_view line);
const char* to_string(AgentWord word);

// The line `fulcrum agent` sends: "up 38% cpu:12 mem:62\n" (capacity = 100 - the larger load).
std::string format_agent_reply(AgentWord state, uint32_t cpu_percent, uint32_t mem_percent);

}  // namespace fulcrum::health
