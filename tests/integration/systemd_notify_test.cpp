// The sd_notify protocol as systemd hears it, with this test standing in for systemd: its own
// $NOTIFY_SOCKET receives every message with the sender's pid. READY=1 once the listeners
// accept; RELOADING=1 then READY=1 on SIGHUP, also when the new file is wrong (with the error in
// STATUS=); MAINPID= for the new process of a hot upgrade, sent by the old main process (what
// NotifyAccess=main accepts); STOPPING=1 on SIGTERM; WATCHDOG=1 pings that stop while a worker's
// event loop is blocked and come back when it answers.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>

#include "harness.hpp"
#include "http_harness.hpp"
#include "notify_socket.hpp"

namespace fulcrum::testing {
namespace systemd_notify_test {

struct NotifySetup {
  TempDir dir;
  HttpBackend backend{dir, "one", {"--quiet"}};
  NotifySocket notify{dir};
  uint16_t port = free_port();
  std::string config_path;

  explicit NotifySetup(const std::string& extra_top = "") {
    config_path = dir.write("fulcrum.yaml", yaml(extra_top));
  }
  std::string yaml(const std::string& extra_top = "") const {
    return "workers: 2\nshutdown_timeout: 5s\n" + extra_top +
           "listeners:\n"
           "  - { name: web, listen: 127.0.0.1:" + std::to_string(port) + ", protocol: http, default: { forward: be } }\n"
           "target_groups:\n"
           "  - name: be\n"
           "    health_check: { protocol: http, path: /, interval: 1s, timeout: 500ms }\n"
           "    targets: [ { address: " + backend.address() + " } ]\n";
  }
  std::unique_ptr<Process> start(std::vector<std::string> environment, std::vector<std::string> extra = {}) {
    environment.push_back(notify.environment());
    std::vector<std::string> argv{fulcrum_binary(), "run", "-c", config_path, "--admin-listen", "127.0.0.1:0",
                                  "--access-log", "off", "--upgrade-socket", dir.path() + "/upgrade.sock"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv, dir.path(), "fulcrum", std::move(environment));
  }
  int get() const {
    return std::atoi(curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/"})
                         .out.c_str());
  }
};

uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
}

TEST(SystemdNotify, ReadyOnceServingThenReloadingAndReadyOnEveryReloadAndStoppingOnSigterm) {
  NotifySetup setup;
  auto fulcrum = setup.start({});
  auto ready = setup.notify.wait_for("READY=1");
  ASSERT_TRUE(ready) << fulcrum->errors();
  // READY=1 comes once every listener accepts: a connection made right now is served.
  EXPECT_TRUE(can_connect(setup.port));
  EXPECT_EQ(setup.get(), 200);
  EXPECT_EQ(ready->sender, fulcrum->pid());
  const std::string status = ready->value("STATUS");
  EXPECT_NE(status.find("1 listener, "), std::string::npos) << status;
  EXPECT_NE(status.find("/1 targets healthy, "), std::string::npos) << status;
  EXPECT_NE(status.find(" req/s"), std::string::npos) << status;
  // Nothing the service manager would misread came before it.
  for (const auto& early : setup.notify.all()) EXPECT_FALSE(early.has("STOPPING=1")) << early.text;

  // A good reload: RELOADING=1 with the monotonic time of the reload, then READY=1.
  const uint64_t before = monotonic_usec();
  fulcrum->signal(SIGHUP);
  auto reloading = setup.notify.wait_for("RELOADING=1");
  ASSERT_TRUE(reloading) << fulcrum->errors();
  const uint64_t stamp = std::stoull(reloading->value("MONOTONIC_USEC"));
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, monotonic_usec());
  auto reloaded = setup.notify.wait_for("READY=1");
  ASSERT_TRUE(reloaded) << fulcrum->errors();
  EXPECT_EQ(reloaded->value("STATUS").find("failed"), std::string::npos) << reloaded->text;

  // A file that does not validate: still RELOADING=1 then READY=1 (the old file serves), and
  // STATUS= names the error where `systemctl status` shows it.
  setup.dir.write("fulcrum.yaml", setup.yaml() + "bogus_key: 1\n");
  fulcrum->signal(SIGHUP);
  ASSERT_TRUE(setup.notify.wait_for("RELOADING=1")) << fulcrum->errors();
  auto failed = setup.notify.wait_for("READY=1");
  ASSERT_TRUE(failed) << fulcrum->errors();
  const std::string failed_status = failed->value("STATUS");
  EXPECT_NE(failed_status.find("reload failed: " + setup.config_path + ":"), std::string::npos) << failed_status;
  EXPECT_NE(failed_status.find("unknown key 'bogus_key'"), std::string::npos) << failed_status;
  EXPECT_NE(failed_status.find("serving the previous configuration"), std::string::npos) << failed_status;
  EXPECT_EQ(setup.get(), 200);

  fulcrum->signal(SIGTERM);
  auto stopping = setup.notify.wait_for("STOPPING=1");
  ASSERT_TRUE(stopping) << fulcrum->errors();
  EXPECT_EQ(stopping->sender, fulcrum->pid());
  EXPECT_EQ(fulcrum->wait(10s), std::optional<int>(0)) << fulcrum->errors();
}

// SIGUSR2 (nginx's signal for a new binary): the running process starts the binary again with
// --upgrade, inside the same service; once the new process accepts, the old one, still the
// main process, sends MAINPID= for it, then drains and exits. The new one says READY=1 as the
// new main process and, at the end, STOPPING=1.
TEST(SystemdNotify, HotUpgradeBySigusr2SendsMainPidOfTheNewProcessFromTheOldOne) {
  // The new process is the old one's child; when the old one exits it becomes ours to reap.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  NotifySetup setup;
  auto old_process = setup.start({});
  auto ready = setup.notify.wait_for("READY=1");
  ASSERT_TRUE(ready) << old_process->errors();
  ASSERT_EQ(setup.get(), 200);

  old_process->signal(SIGUSR2);
  auto main_pid = setup.notify.wait_for_field("MAINPID", 15s);
  ASSERT_TRUE(main_pid) << old_process->errors();
  const int new_pid = std::stoi(main_pid->value("MAINPID"));
  EXPECT_EQ(main_pid->sender, old_process->pid()) << "MAINPID= must come from the main process";
  EXPECT_NE(new_pid, old_process->pid());
  EXPECT_GT(new_pid, 0);
  // The new process, now the main one, says it is ready (after MAINPID=, so systemd accepts it).
  std::optional<Notification> new_ready;
  while (!new_ready) {
    auto next = setup.notify.wait_for("READY=1");
    ASSERT_TRUE(next) << old_process->errors();
    if (next->sender == new_pid) new_ready = next;
  }
  EXPECT_NE(new_ready->value("STATUS").find("targets healthy"), std::string::npos) << new_ready->text;
  EXPECT_EQ(setup.get(), 200);
  // The old process drains and exits 0; its stderr is the new one's too (inherited).
  EXPECT_EQ(old_process->wait(10s), std::optional<int>(0)) << old_process->errors();
  EXPECT_EQ(setup.get(), 200);
  const std::string log = old_process->errors();
  EXPECT_NE(log.find("upgrade.successor_started pid=" + std::to_string(new_pid)), std::string::npos) << log;
  EXPECT_NE(log.find("upgrade.done"), std::string::npos) << log;

  ::kill(new_pid, SIGTERM);
  auto stopping = setup.notify.wait_for("STOPPING=1");
  ASSERT_TRUE(stopping);
  EXPECT_EQ(stopping->sender, new_pid);
  int status = 0;
  EXPECT_EQ(::waitpid(new_pid, &status, 0), new_pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// WatchdogSec=: pings while every worker answers; none while one is blocked (the test hook
// holds worker 0's event loop for 3 s); back once it answers again.
TEST(SystemdNotify, WatchdogPingsStopWhileAWorkerLoopIsBlockedAndResumeAfterwards) {
  NotifySetup setup;
  auto fulcrum = setup.start({"WATCHDOG_USEC=400000", "FULCRUM_TEST_HOOKS=1", "FULCRUM_TEST_BLOCK_MS=3000"});
  ASSERT_TRUE(setup.notify.wait_for("READY=1")) << fulcrum->errors();
  // A quarter of the interval: about 5 pings in 500 ms.
  size_t pings = 0;
  for (const auto& n : setup.notify.collect(500ms)) pings += n.has("WATCHDOG=1") ? 1 : 0;
  EXPECT_GE(pings, 3u);

  ASSERT_EQ(::kill(fulcrum->pid(), SIGRTMIN + 1), 0);
  ASSERT_TRUE(fulcrum->wait_for_output("test_hooks.block_worker", 5s, true)) << fulcrum->errors();
  ASSERT_TRUE(fulcrum->wait_for_output("watchdog.worker_stuck workers=0", 5s, true)) << fulcrum->errors();
  // While worker 0 is stuck the control thread is free, but it pings no more.
  setup.notify.drain();  // pings sent before the worker stopped answering
  size_t while_stuck = 0;
  for (const auto& n : setup.notify.collect(700ms)) while_stuck += n.has("WATCHDOG=1") ? 1 : 0;
  EXPECT_EQ(while_stuck, 0u);
  // The worker answers again: so do the pings, and the log says so.
  EXPECT_TRUE(setup.notify.wait_for("WATCHDOG=1", 5s));
  EXPECT_TRUE(fulcrum->wait_for_output("watchdog.workers_answer", 5s, true)) << fulcrum->errors();
  EXPECT_EQ(setup.get(), 200);
  fulcrum->signal(SIGTERM);
  EXPECT_EQ(fulcrum->wait(10s), std::optional<int>(0)) << fulcrum->errors();
}

}  // namespace systemd_notify_test
}  // namespace fulcrum::testing
