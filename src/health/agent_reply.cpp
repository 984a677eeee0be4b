#include "health/agent_reply.hpp"

#include <algorithm>
#include <charconv>

namespace fulcrum::health {
namespace {

std::optional<uint32_t> parse_number(std::string_view text, uint32_t max) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return std::min(value, max);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

}  // namespace

std::optional<uint32_t> AgentReply::load_permille() const {
  if (cpu_percent || mem_percent) return std::max(cpu_percent.value_or(0), mem_percent.value_or(0)) * 10;
  if (capacity_percent) return (100 - std::min<uint32_t>(*capacity_percent, 100)) * 10;
  return std::nullopt;
}

AgentReply parse_agent_reply(std::string_view line) {
  AgentReply reply;
  size_t at = 0;
  while (at < line.size()) {
    if (line[at] == '#') {
      size_t end = line.find_first_of("\r\n", at);
      reply.comment = std::string(line.substr(at + 1, end == std::string_view::npos ? end : end - at - 1));
      while (!reply.comment.empty() && reply.comment.front() == ' ') reply.comment.erase(0, 1);
      break;
    }
    size_t end = line.find_first_of(" \t,\r\n", at);
    if (end == std::string_view::npos) end = line.size();
    std::string word = lower(line.substr(at, end - at));
    at = end + 1;
    if (word.empty()) continue;
    if (word == "up" || word == "ready") reply.state = AgentWord::up;
    else if (word == "drain") reply.state = AgentWord::drain;
    else if (word == "maint") reply.state = AgentWord::maint;
    else if (word == "down" || word == "fail" || word == "stopped") reply.state = AgentWord::down;
    else if (word.back() == '%') {
      if (auto value = parse_number(std::string_view(word).substr(0, word.size() - 1), 1000)) reply.capacity_percent = value;
    } else if (word.starts_with("cpu:")) {
      if (auto value = parse_number(std::string_view(word).substr(4), 100)) reply.cpu_percent = value;
    } else if (word.starts_with("mem:")) {
      if (auto value = parse_number(std::string_view(word).substr(4), 100)) reply.mem_percent = value;
    }
  }
  return reply;
}

const char* to_string(AgentWord word) {
  switch (word) {
    case AgentWord::none: return "none";
    case AgentWord::up: return "up";
    case AgentWord::drain: return "drain";
    case AgentWord::maint: return "maint";
    case AgentWord::down: return "down";
  }
  return "?";
}

std::string format_agent_reply(AgentWord state, uint32_t cpu_percent, uint32_t mem_percent) {
  cpu_percent = std::min<uint32_t>(cpu_percent, 100);
  mem_percent = std::min<uint32_t>(mem_percent, 100);
  const uint32_t capacity = 100 - std::max(cpu_percent, mem_percent);
  std::string word = state == AgentWord::none ? "up" : to_string(state);
  return word + " " + std::to_string(capacity) + "% cpu:" + std::to_string(cpu_percent) +
         " mem:" + std::to_string(mem_percent) + "\n";
}

}  // namespace fulcrum::health
