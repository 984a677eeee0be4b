#include "agent_host.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fulcrum::testing {

AgentHost::AgentHost(const TempDir& dir, const std::string& name, const std::string& ip, uint16_t agent_port)
    : proc(dir.path() + "/proc-" + name), state_file(dir.path() + "/" + name + ".state") {
  std::filesystem::create_directories(proc);
  std::ofstream(proc + "/stat") << "cpu  100 0 100 800 0 0 0 0 0 0\n";
  set_memory_percent(50);
  agent = std::make_unique<Process>(
      std::vector<std::string>{fulcrum_binary(), "agent", "--listen", ip + ":" + std::to_string(agent_port),
                               "--state-file", state_file, "--proc", proc, "--sample-interval", "100ms"},
      dir.path(), "agent-" + name);
  EXPECT_TRUE(agent->wait_for_output("agent.start", 5s, true)) << agent->errors();
}

void AgentHost::set_memory_percent(int percent) {
  std::ofstream(proc + "/meminfo.new") << "MemTotal: 1000 kB\nMemAvailable: " << 1000 - percent * 10 << " kB\n";
  std::filesystem::rename(proc + "/meminfo.new", proc + "/meminfo");
}

int AgentHost::set_state(const std::string& word) {
  Process command({fulcrum_binary(), "agent", "--state", word, "--state-file", state_file}, proc, "state");
  return command.wait(5s).value_or(-1);
}

}  // namespace fulcrum::testing
