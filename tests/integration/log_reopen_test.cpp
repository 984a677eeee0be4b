// Log files as logrotate handles them: rename, then SIGUSR1 (nginx's signal); Fulcrum reopens
// the access log and the error log by their paths. Requests keep coming during the rotation;
// every one of them has its line, in the old file or the new one, none twice and none cut.
// And lines written to the systemd journal carry their priority and stay one JSON object each.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace log_reopen_test {

std::vector<std::string> lines_in_file(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whole lines in the file: its newlines (a line still being written has none yet).
size_t whole_lines_in(const std::string& path) {
  const std::string text = slurp(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(LogReopen, Sigusr1AfterARenameSendsNewLinesToANewFileAndLosesNone) {
  TempDir dir;
  HttpBackend backend(dir, "one", {"--quiet"});
  const uint16_t port = free_port();
  const std::string access = dir.path() + "/access.log";
  const std::string errors = dir.path() + "/error.log";
  auto fulcrum = start_fulcrum(
      dir,
      "workers: 2\nlisteners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(port) +
          ", protocol: http, default: { forward: be } }\ntarget_groups:\n  - { name: be, targets: [ { address: " +
          backend.address() + " } ] }\n",
      port, {"--access-log", access, "--error-log", errors, "--log-format", "json"});
  const std::string request = "GET /rotate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

  // Four clients keep sending while the files are renamed and the signal arrives.
  constexpr int kClients = 4;
  std::atomic<bool> rotated{false};
  std::atomic<int> answered{0}, failed{0}, after_rotation{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 150; ++i) {
        const bool after = rotated.load();
        if (status_of(raw_exchange(port, request)) == 200) {
          ++answered;
          if (after) ++after_rotation;
        } else {
          ++failed;
        }
      }
    });
  }
  // 100 answered, and their lines written, before the rotation (the access log's writer thread
  // writes a line some time after the answer; a line still queued at the reopen goes to the new
  // file). Or every client done, when requests fail or lines do not come: counted below.
  while ((answered.load() < 100 || whole_lines_in(access) < 100) &&
         answered.load() + failed.load() < kClients * 150) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(::rename(access.c_str(), (access + ".1").c_str()), 0);
  ASSERT_EQ(::rename(errors.c_str(), (errors + ".1").c_str()), 0);
  fulcrum->signal(SIGUSR1);
  // The reopen is the first line of the new error log.
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       slurp(errors).find("\"event\":\"log.reopened\"") == std::string::npos;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << slurp(errors + ".1");
    std::this_thread::sleep_for(5ms);
  }
  rotated = true;
  for (auto& client : clients) client.join();
  EXPECT_EQ(failed.load(), 0);
  ASSERT_EQ(answered.load(), kClients * 150);
  EXPECT_GT(after_rotation.load(), 0);

  // Every answered request has exactly one whole line, in one file or the other; the ones sent
  // after the reopen was logged are all in the new file. The access log's writer thread writes
  // them some time after the answers, in batches: wait until there are as many newlines as
  // answers (a count of lines could take in the start of a batch still being written, whose
  // last line is cut until its write completes), then read the lines.
  for (auto deadline = std::chrono::steady_clock::now() + 5s;;) {
    if (whole_lines_in(access + ".1") + whole_lines_in(access) >= static_cast<size_t>(answered.load()) ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  const std::vector<std::string> old_lines = lines_in_file(access + ".1");
  const std::vector<std::string> new_lines = lines_in_file(access);
  EXPECT_EQ(old_lines.size() + new_lines.size(), static_cast<size_t>(answered.load()));
  EXPECT_GE(old_lines.size(), 100u);
  EXPECT_GE(new_lines.size(), static_cast<size_t>(after_rotation.load()));
  for (const auto* file : {&old_lines, &new_lines}) {
    for (const auto& line : *file) {
      auto parsed = nlohmann::json::parse(line, nullptr, false);
      ASSERT_FALSE(parsed.is_discarded()) << "a cut or mixed line: " << line;
      EXPECT_EQ(parsed.value("path", ""), "/rotate") << line;
    }
  }
  // The old error log kept what came before; the new one what came after.
  EXPECT_NE(slurp(errors + ".1").find("\"event\":\"fulcrum.start\""), std::string::npos);
  EXPECT_EQ(slurp(errors).find("\"event\":\"fulcrum.start\""), std::string::npos);
  fulcrum->signal(SIGTERM);
  EXPECT_EQ(fulcrum->wait(10s), std::optional<int>(0));
  EXPECT_NE(slurp(errors).find("\"event\":\"fulcrum.stopped\""), std::string::npos);
}

// Under systemd stdout and stderr are a stream to the journal, named by $JOURNAL_STREAM. Each
// line then starts with its syslog priority, which the journal strips and keeps as the entry's
// level (journalctl -p warning), and a JSON line stays exactly one JSON object.
TEST(Journal, JsonLinesCarryTheirPriorityAndStayOneObjectEach) {
  TempDir dir;
  HttpBackend backend(dir, "one", {"--quiet"});
  const uint16_t port = free_port();
  const std::string config = dir.write(
      "fulcrum.yaml", "listeners:\n  - { name: web, listen: 127.0.0.1:" + std::to_string(port) +
                          ", protocol: http, default: { forward: be } }\ntarget_groups:\n  - { name: be, targets: [ "
                          "{ address: " + backend.address() + " }, { address: 127.0.0.1:1 } ] }\n");
  // One stream for both, as systemd connects them; JOURNAL_STREAM names it by device and inode.
  const std::string script = "exec 2>&1; JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1); export JOURNAL_STREAM; "
                             "exec \"$0\" run -c \"$1\" --log-format json --admin-listen 127.0.0.1:0 "
                             "--upgrade-socket off";
  Process fulcrum({"/bin/sh", "-c", script, fulcrum_binary(), config}, dir.path(), "fulcrum");
  ASSERT_TRUE(fulcrum.wait_for_output("\"event\":\"fulcrum.start\"", 10s)) << fulcrum.output();
  EXPECT_EQ(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/j"}).out,
            "200");
  ASSERT_TRUE(fulcrum.wait_for_output("\"path\":\"/j\"", 5s)) << fulcrum.output();
  fulcrum.signal(SIGTERM);
  EXPECT_EQ(fulcrum.wait(10s), std::optional<int>(0));
  bool saw_info = false, saw_access = false;
  std::istringstream lines(fulcrum.output());
  for (std::string line; std::getline(lines, line);) {
    ASSERT_GE(line.size(), 4u) << line;
    ASSERT_EQ(line[0], '<') << line;
    ASSERT_EQ(line[2], '>') << line;
    auto parsed = nlohmann::json::parse(line.substr(3), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    const std::string level = parsed.value("level", "");
    const char expected = level == "error" ? '3' : level == "warn" ? '4' : level == "debug" ? '7' : '6';
    EXPECT_EQ(line[1], expected) << line;
    saw_info |= parsed.value("event", "") == "fulcrum.start";
    saw_access |= parsed.value("path", "") == "/j";
  }
  EXPECT_TRUE(saw_info);
  EXPECT_TRUE(saw_access);
}

}  // namespace log_reopen_test
}  // namespace fulcrum::testing
