// The dashboard page in a real browser: headless Debian chromium driven by playwright-core
// (tests/e2e/dashboard.mjs) against the real fulcrum, with a backend killed for real.
// scripts/setup installs chromium and tests/e2e's node modules.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "harness.hpp"
#include "http_harness.hpp"

namespace fulcrum::testing {
namespace dashboard_test {

bool exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

TEST(Dashboard, LoadsCleanShowsATargetTurningUnhealthyAndDrainsOneWithAClick) {
  const std::string e2e = std::string(FULCRUM_SOURCE_DIR) + "/tests/e2e";
  if (!exists("/usr/bin/chromium") || !exists("/usr/bin/node") || !exists(e2e + "/node_modules/playwright-core")) {
    GTEST_SKIP() << "chromium or tests/e2e/node_modules missing: run scripts/setup";
  }
  TempDir dir;
  Backend a(dir, "a", "greet"), b(dir, "b", "greet"), c(dir, "c", "greet");
  uint16_t port = free_port();
  const std::string yaml =
      "workers: 2\nlisteners:\n  - name: front\n    listen: 127.0.0.1:" + std::to_string(port) +
      "\n    protocol: tcp\n    default: { forward: pool }\n"
      "target_groups:\n  - name: pool\n    algorithm: round_robin\n"
      "    health_check: { protocol: tcp, interval: 1s, timeout: 500ms, healthy_threshold: 1, unhealthy_threshold: 1 }\n"
      "    targets:\n      - { address: " + a.address() + " }\n      - { address: " + b.address() + " }\n"
      "      - { address: " + c.address() + " }\n";
  auto fulcrum = start_fulcrum(dir, yaml, port);
  const std::string admin = "http://" + admin_address(*fulcrum);
  // Traffic for the charts while the browser watches (bounded: at most 60 s).
  std::atomic<bool> stop{false};
  std::thread traffic([&] {
    for (int i = 0; i < 3000 && !stop; ++i) {
      int fd = connect_to(port);
      if (fd >= 0) {
        read_line(fd, 1s);
        ::close(fd);
      }
      std::this_thread::sleep_for(20ms);
    }
  });
  // The screenshot goes to docs/ when asked (DASHBOARD_SCREENSHOT=docs/dashboard.png), else a temp dir.
  const char* keep = std::getenv("DASHBOARD_SCREENSHOT");
  const std::string screenshot = keep != nullptr ? keep : dir.path() + "/dashboard.png";
  Process node({"/usr/bin/node", e2e + "/dashboard.mjs", admin, a.address(), b.address(), screenshot}, dir.path(), "node");
  if (node.wait_for_output("kill now", 30s)) a.process.signal(SIGKILL);
  auto code = node.wait(60s);
  stop = true;
  traffic.join();
  ASSERT_TRUE(code.has_value()) << "the browser test did not finish in 60 s";
  EXPECT_EQ(*code, 0) << node.output() << node.errors();
  EXPECT_TRUE(exists(screenshot));
}

}  // namespace dashboard_test
}  // namespace fulcrum::testing
