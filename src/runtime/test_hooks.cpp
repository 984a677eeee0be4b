#include "runtime/test_hooks.hpp"

#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/log.hpp"

namespace fulcrum::runtime {

std::unique_ptr<TestHooks> TestHooks::from_environment(asio::io_context& control, core::Worker& first_worker) {
  const char* enabled = std::getenv("FULCRUM_TEST_HOOKS");
  if (enabled == nullptr || std::string(enabled) != "1") return nullptr;
  int block_ms = 3000;
  if (const char* ms = std::getenv("FULCRUM_TEST_BLOCK_MS")) block_ms = std::atoi(ms);
  core::LogLine(core::LogLevel::warn, "test_hooks.enabled")
      .field("why", "FULCRUM_TEST_HOOKS=1: SIGRTMIN+1 blocks a worker; never in production")
      .emit();
  return std::make_unique<TestHooks>(control, first_worker, block_ms);
}

TestHooks::TestHooks(asio::io_context& control, core::Worker& first_worker, int block_ms)
    : block_signal_(control, SIGRTMIN + 1), worker_(first_worker), block_ms_(block_ms) {
  wait();
}

void TestHooks::stop() {
  asio::error_code ignored;
  block_signal_.cancel(ignored);
}

void TestHooks::wait() {
  block_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    core::LogLine(core::LogLevel::warn, "test_hooks.block_worker")
        .field("worker", static_cast<uint64_t>(worker_.index()))
        .field("ms", block_ms_)
        .emit();
    const int ms = block_ms_;
    worker_.post([ms] { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); });
    wait();
  });
}

}  // namespace fulcrum::runtime
