// Server: signals, and the stop (graceful drain, or handing over to a successor).
//
//   SIGTERM, SIGINT  stop accepting, drain for up to shutdown_timeout (a second one: now)
//   SIGHUP           reload the file
//   SIGUSR1          reopen the log files (logrotate)
//   SIGUSR2          hot upgrade: start the binary again with --upgrade (successor.hpp)
#include <sys/wait.h>

#include "core/close_shared_socket.hpp"
#include "core/log.hpp"
#include "runtime/server.hpp"

namespace fulcrum::runtime {

void Server::watch_signals() {
  stop_signals_.async_wait([this](const asio::error_code& ec, int signal) {
    if (ec) return;
    begin_shutdown(signal == SIGINT ? "SIGINT" : "SIGTERM");
    // A second signal while draining means "now".
    stop_signals_.async_wait([this](const asio::error_code& again, int) {
      if (again) return;
      core::log_message(core::LogLevel::warn, "fulcrum.stop_now", "second stop signal: closing open connections");
      drain_deadline_ = std::chrono::steady_clock::now();
    });
  });
  wait_for_reload();
  wait_for_reopen();
  wait_for_upgrade_signal();
  wait_for_children();
}

void Server::wait_for_reload() {
  reload_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    (void)reload();  // the outcome is logged
    wait_for_reload();
  });
}

void Server::wait_for_reopen() {
  reopen_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    if (options_.log_files == nullptr || options_.log_files->empty()) {
      core::log_message(core::LogLevel::info, "log.reopen", "no log file to reopen (logs go to stdout and stderr)");
    } else if (std::string problems = options_.log_files->reopen(); problems.empty()) {
      core::LogLine(core::LogLevel::info, "log.reopened").field("files", options_.log_files->describe()).emit();
    } else {
      core::LogLine(core::LogLevel::error, "log.reopen_failed")
          .field("error", problems)
          .field("why", "the file that could not be opened keeps its old one")
          .emit();
    }
    wait_for_reopen();
  });
}

void Server::wait_for_upgrade_signal() {
  upgrade_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    start_successor();
    wait_for_upgrade_signal();
  });
}

void Server::begin_shutdown(std::string_view why) {
  if (shutting_down_) return;
  shutting_down_ = true;
  // After a handover the successor is the service's main process: this one says nothing more.
  if (!handed_over_) notifier_.stopping("stopping: draining " + std::to_string(active_sessions()) + " connections");
  if (status_) status_->stop();
  core::LogLine(core::LogLevel::info, "fulcrum.stopping")
      .field("signal", why)
      .field("open_connections", active_sessions())
      .field("shutdown_timeout_ms", static_cast<int64_t>(config_->shutdown_timeout.count()))
      .emit();
  // Stop accepting on every worker; open connections go on. After a hot upgrade the sockets
  // live on in the new process: only this process's descriptors close, and connections
  // waiting in the accept queues are the new process's to take.
  const size_t worker_count = workers_.size();
  std::vector<std::vector<asio::ip::tcp::acceptor*>> acceptors(worker_count);
  std::vector<std::vector<l4::TcpListener*>> tcp_listeners(worker_count);
  std::vector<std::vector<l4::UdpForwarder*>> forwarders(worker_count);
  for (auto& listener : listeners_) {
    for (size_t i = 0; i < listener.per_worker.size(); ++i) {
      acceptors[i % worker_count].push_back(listener.per_worker[i].get());
    }
    for (size_t i = 0; i < listener.tcp_per_worker.size(); ++i) {
      tcp_listeners[i % worker_count].push_back(listener.tcp_per_worker[i].get());
    }
    // UDP has no connection to drain: its flows end with the listener.
    for (size_t i = 0; i < listener.udp_per_worker.size(); ++i) {
      forwarders[i % worker_count].push_back(listener.udp_per_worker[i].get());
    }
  }
  for (size_t w = 0; w < worker_count; ++w) {
    workers_[w]->post([acceptors = acceptors[w], tcp_listeners = tcp_listeners[w], forwarders = forwarders[w]] {
      for (auto* listener : tcp_listeners) listener->close();
      for (auto* acceptor : acceptors) core::close_shared_socket(*acceptor);
      for (auto* forwarder : forwarders) forwarder->stop();
    });
  }
  for (auto& http : http_workers_) {
    http::HttpWorker* worker = http.get();
    worker->worker.post([worker] { worker->draining = true; });
  }
  if (upgrade_listener_) upgrade_listener_->stop(handed_over_);  // after a handover the file is the successor's
  if (handed_over_) {
    // The successor answers on the admin and DNS addresses now.
    if (admin_) admin_->stop();
    if (dns_) dns_->stop();
  }
  drain_deadline_ = std::chrono::steady_clock::now() + config_->shutdown_timeout;
  check_drained();
}

void Server::check_drained() {
  uint64_t open = active_sessions();
  bool expired = std::chrono::steady_clock::now() >= drain_deadline_;
  if (open == 0 || expired) {
    if (open > 0) {
      core::LogLine(core::LogLevel::warn, "fulcrum.shutdown_timeout").field("closed_connections", open).emit();
    }
    stop_services();
    for (auto& worker : workers_) worker->stop();
    control_.stop();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(50));
  drain_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) check_drained();
  });
}

}  // namespace fulcrum::runtime
