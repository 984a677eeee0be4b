// The agent's inputs: /proc figures (from a fake /proc root) and the operator's state file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "health/agent_state_file.hpp"
#include "health/proc_sampler.hpp"

namespace fulcrum::health {
namespace agent_files_test {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/fulcrum-health-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path + "/" + name) << text; }
  std::string path;
};

TEST(ProcSampler, CpuFromStatDeltasAndMemoryFromMeminfo) {
  TempDir dir;
  dir.write("meminfo", "MemTotal:       1000 kB\nMemFree:    100 kB\nMemAvailable:    250 kB\n");
  dir.write("stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3\n");
  ProcSampler sampler(dir.path);
  HostLoad first = sampler.sample();
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.cpu_percent, 0u);  // nothing to compare with yet
  EXPECT_EQ(first.mem_percent, 75u);
  // 100 more jiffies: 60 busy, 40 idle (iowait counts as idle).
  dir.write("stat", "cpu  150 0 110 830 10 0 0 0 0 0\n");
  HostLoad second = sampler.sample();
  EXPECT_EQ(second.cpu_percent, 60u);
}

TEST(ProcSampler, MissingFilesAreReportedNotInvented) {
  ProcSampler sampler("/nonexistent-proc");
  HostLoad load = sampler.sample();
  EXPECT_FALSE(load.ok);
  EXPECT_NE(load.error.find("/nonexistent-proc/stat"), std::string::npos);
}

TEST(ProcSampler, RealProcReads) {
  ProcSampler sampler;
  HostLoad load = sampler.sample();
  ASSERT_TRUE(load.ok) << load.error;
  EXPECT_LE(load.mem_percent, 100u);
  EXPECT_GT(load.mem_percent, 0u);
}

TEST(AgentStateFile, MissingMeansUpAndWritesAreSeen) {
  TempDir dir;
  AgentStateFile file(dir.path + "/agent.state");
  EXPECT_EQ(file.current(), AgentWord::up);
  std::string error;
  ASSERT_TRUE(file.write(AgentWord::drain, "kernel upgrade", error)) << error;
  EXPECT_EQ(file.current(), AgentWord::drain);
  EXPECT_EQ(file.comment(), "kernel upgrade");
  AgentStateFile reader(dir.path + "/agent.state");  // another process's view
  EXPECT_EQ(reader.current(), AgentWord::drain);
  ASSERT_TRUE(file.write(AgentWord::up, "", error));
  EXPECT_EQ(reader.current(), AgentWord::up);
  EXPECT_EQ(reader.comment(), "");
}

TEST(AgentStateFile, GarbageIsUpAndUnwritableIsAnError) {
  TempDir dir;
  dir.write("agent.state", "whatever\n");
  AgentStateFile file(dir.path + "/agent.state");
  EXPECT_EQ(file.current(), AgentWord::up);
  // One missing directory level is made (/run/fulcrum after a reboot); two are an error.
  AgentStateFile one_level(dir.path + "/made/agent.state");
  std::string error;
  EXPECT_TRUE(one_level.write(AgentWord::drain, "", error)) << error;
  EXPECT_EQ(one_level.current(), AgentWord::drain);
  AgentStateFile nowhere(dir.path + "/missing/deeper/agent.state");
  EXPECT_FALSE(nowhere.write(AgentWord::drain, "", error));
  EXPECT_NE(error.find("/missing/deeper"), std::string::npos);
}

}  // namespace agent_files_test
}  // namespace fulcrum::health
