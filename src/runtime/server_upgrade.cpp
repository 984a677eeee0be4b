// Server: the hot upgrade, from both sides: taking the running process's sockets (--upgrade),
// handing ours to a successor, and starting that successor ourselves on SIGUSR2.
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.hpp"
#include "runtime/server.hpp"
#include "runtime/successor.hpp"

namespace fulcrum::runtime {

bool Server::receive_sockets(std::string& error) {
  inherited_ = std::make_unique<InheritedSockets>();
  upgrade_client_ = std::make_unique<UpgradeClient>();
  if (!upgrade_client_->receive(options_.upgrade_socket, *inherited_, error)) return false;
  core::LogLine(core::LogLevel::info, "upgrade.sockets_received")
      .field("path", options_.upgrade_socket)
      .field("sockets", inherited_->describe())
      .emit();
  return true;
}
void Server::finish_upgrade() {
  if (!upgrade_client_) return;
  if (inherited_->size() > 0) {
    // Listeners the new file no longer has: they stop with the old process.
    core::LogLine(core::LogLevel::info, "upgrade.sockets_unused").field("sockets", inherited_->describe()).emit();
  }
  inherited_.reset();
  std::string answer, error;
  if (upgrade_client_->hand_over(answer, error)) {
    core::LogLine(core::LogLevel::info, "upgrade.done").field("old_process", answer).emit();
  } else {
    core::LogLine(core::LogLevel::warn, "upgrade.unconfirmed").field("why", error).emit();
  }
  upgrade_client_.reset();
}
void Server::listen_for_upgrade() {
  if (options_.upgrade_socket.empty()) return;
  UpgradeListener::Hooks hooks;
  hooks.refuse_reason = [this] { return shutting_down_ ? std::string("this process is shutting down") : std::string(); };
  hooks.sockets = [this] { return listening_sockets(); };
  hooks.hand_over = [this](pid_t successor) { return hand_over(successor); };
  upgrade_listener_ = std::make_unique<UpgradeListener>(control_, std::move(hooks));
  std::string error;
  if (!upgrade_listener_->start(options_.upgrade_socket, error)) {
    // Serving matters more than being upgradable: say so and go on.
    core::LogLine(core::LogLevel::warn, "upgrade.unavailable").field("why", error).emit();
    upgrade_listener_.reset();
    return;
  }
  core::LogLine(core::LogLevel::info, "upgrade.listen").field("path", options_.upgrade_socket).emit();
}
std::vector<HandedSocket> Server::listening_sockets() {
  // The descriptors only change when a listener closes, which happens on shutdown, after which
  // no upgrade is served: reading them from the control thread is safe.
  std::vector<HandedSocket> out;
  for (auto& listener : listeners_) {
    for (auto& acceptor : listener.per_worker) out.push_back({SocketKind::stream, acceptor->native_handle()});
    for (auto& tcp : listener.tcp_per_worker) out.push_back({SocketKind::stream, tcp->fd()});
    for (auto& udp : listener.udp_per_worker) out.push_back({SocketKind::datagram, udp->native_handle()});
  }
  if (admin_) out.push_back({SocketKind::admin, admin_->native_handle()});
  if (dns_) {
    out.push_back({SocketKind::dns_udp, dns_->udp_handle()});
    out.push_back({SocketKind::dns_tcp, dns_->tcp_handle()});
  }
  return out;
}

std::string Server::hand_over(pid_t successor) {
  handed_over_ = true;
  const uint64_t open = active_sessions();
  // Before the new process hears DRAINING: its READY=1 then comes from the main process, and
  // systemd no longer counts this process's exit as the service's end.
  notifier_.main_pid(successor, "handed over to pid " + std::to_string(successor) + "; draining " +
                                    std::to_string(open) + " connections");
  if (successor == successor_) successor_ = -1;  // it lives on as the service's main process
  begin_shutdown("upgrade");
  return "pid=" + std::to_string(::getpid()) + " open_connections=" + std::to_string(open);
}

void Server::start_successor() {
  std::string refused;
  if (shutting_down_) refused = "this process is shutting down";
  if (successor_ > 0) refused = "the successor started before (pid " + std::to_string(successor_) + ") has not finished";
  if (!upgrade_listener_) refused = "this process listens on no upgrade socket (--upgrade-socket off, or it could not)";
  if (executable_.empty()) refused = "the path of this binary is unknown (/proc/self/exe)";
  if (!refused.empty()) {
    core::LogLine(core::LogLevel::error, "upgrade.not_started").field("why", refused).emit();
    return;
  }
  std::string error;
  const pid_t pid = spawn_successor(executable_, options_.arguments, upgrade_listener_->path(), error);
  if (pid < 0) {
    core::LogLine(core::LogLevel::error, "upgrade.not_started").field("why", error).emit();
    return;
  }
  successor_ = pid;
  core::LogLine(core::LogLevel::info, "upgrade.successor_started")
      .field("pid", static_cast<int64_t>(pid))
      .field("executable", executable_)
      .emit();
}

void Server::wait_for_children() {
  child_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != successor_) continue;
      successor_ = -1;
      const std::string how = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                                : "signal " + std::to_string(WTERMSIG(status));
      // It said why in the log it shares with us; this process never stopped serving.
      core::LogLine(core::LogLevel::error, "upgrade.successor_failed")
          .field("pid", static_cast<int64_t>(pid))
          .field("how", how)
          .field("why", "the new process ended before taking over (its log lines above say why); this process "
                        "keeps serving")
          .emit();
      if (status_) status_->set_note("hot upgrade failed: the new process ended with " + how);
      notifier_.status(status_ ? status_->line() : "hot upgrade failed");
    }
    wait_for_children();
  });
}

}  // namespace fulcrum::runtime
