#include "core/worker.hpp"

#include <pthread.h>

#include <string>

#include "core/log.hpp"

namespace fulcrum::core {
namespace {

thread_local uint32_t t_worker_index = kNotAWorker;

}  // namespace

uint32_t this_worker_index() { return t_worker_index; }

Worker::Worker(uint32_t index) : index_(index) {}

Worker::~Worker() {
  stop();
  join();
}

void Worker::start(std::function<void()> on_thread) {
  keep_alive_.emplace(loop_->get_executor());
  thread_ = std::thread([this, on_thread = std::move(on_thread)] {
    if (on_thread) on_thread();
    std::string name = "fulcrum-w" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.c_str());
    t_worker_index = index_;
    for (;;) {
      try {
        loop_->run();
        return;
      } catch (const std::exception& e) {
        // A bug in one session must not take the worker (and every connection on it) down.
        LogLine(LogLevel::error, "worker.exception").field("worker", index_).field("what", e.what()).emit();
      }
    }
  });
}

void Worker::release() { keep_alive_.reset(); }

void Worker::stop() {
  keep_alive_.reset();
  if (loop_) loop_->stop();
}

void Worker::destroy_loop() {
  keep_alive_.reset();
  loop_.reset();
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

uint32_t default_worker_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

}  // namespace fulcrum::core
