// `fulcrum validate` as a user runs it: exit codes and FILE:LINE:COLUMN messages.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace fulcrum::testing {
namespace validate_command_test {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run validate(const TempDir& dir, const std::string& yaml) {
  std::string path = dir.write("config.yaml", yaml);
  Process process({fulcrum_binary(), "validate", "-c", path}, dir.path(), "validate");
  auto code = process.wait(10s);
  return {code.value_or(-1), process.output(), process.errors()};
}

TEST(ValidateCommand, ValidFileExitsZero) {
  TempDir dir;
  auto run = validate(dir, "listeners:\n  - name: a\n    listen: 127.0.0.1:7000\n    protocol: tcp\n    default: { forward: g }\n"
                           "target_groups:\n  - name: g\n    targets: [ { address: 127.0.0.1:7001 } ]\n");
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("ok"), std::string::npos);
}

TEST(ValidateCommand, EveryErrorWithFileLineColumnAndExitTwo) {
  TempDir dir;
  auto run = validate(dir,
                      "listeners:\n"
                      "  - name: a\n"
                      "    listen: 127.0.0.1:70000\n"
                      "    protocol: tcp\n"
                      "    idle_timout: 5s\n"
                      "    default: { forward: missing }\n"
                      "target_groups:\n"
                      "  - name: g\n"
                      "    connect_timeout: 5x\n"
                      "    targets: [ { address: 127.0.0.1:7001 } ]\n");
  EXPECT_EQ(run.code, 2);
  std::string path = dir.path() + "/config.yaml";
  EXPECT_NE(run.err.find(path + ":3:13:"), std::string::npos) << run.err;  // port out of range
  EXPECT_NE(run.err.find(path + ":5:5:"), std::string::npos) << run.err;   // unknown key
  EXPECT_NE(run.err.find("did you mean 'idle_timeout'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(path + ":6:25:"), std::string::npos) << run.err;  // missing group
  EXPECT_NE(run.err.find(path + ":9:22:"), std::string::npos) << run.err;  // bad duration
}

TEST(ValidateCommand, MissingFileIsAnError) {
  TempDir dir;
  Process process({fulcrum_binary(), "validate", "-c", dir.path() + "/nope.yaml"}, dir.path(), "validate");
  EXPECT_EQ(process.wait(10s).value_or(-1), 2);
  EXPECT_NE(process.errors().find("nope.yaml"), std::string::npos);
}

TEST(ValidateCommand, RunRefusesAnInvalidFileWithTheSameMessages) {
  TempDir dir;
  std::string path = dir.write("config.yaml", "workers: lots\n");
  Process process({fulcrum_binary(), "run", "-c", path}, dir.path(), "run");
  EXPECT_EQ(process.wait(10s).value_or(-1), 2);
  EXPECT_NE(process.errors().find(path + ":1:10:"), std::string::npos) << process.errors();
}

TEST(ValidateCommand, HelpListsTheSubcommands) {
  TempDir dir;
  Process process({fulcrum_binary(), "--help"}, dir.path(), "help");
  EXPECT_EQ(process.wait(10s).value_or(-1), 0);
  for (const char* command : {"run", "validate", "demo"}) {
    EXPECT_NE(process.output().find(command), std::string::npos) << command;
  }
}

}  // namespace validate_command_test
}  // namespace fulcrum::testing
