#pragma once
// The running balancer: one control thread (the caller's, running control_loop()) that owns
// configuration and targets, and N workers that serve connections. The control thread
// publishes immutable snapshots to the workers by posting to their loops; it also handles
// signals: SIGTERM/SIGINT stop accepting and drain for up to shutdown_timeout; SIGHUP reloads;
// SIGUSR1 reopens the log files; SIGUSR2 starts a hot upgrade from inside the service. It tells
// systemd what it does (service_notifier.hpp) and, started as root with `user:`, switches to
// that user once everything that needs root is done (privileges.hpp).
//
// The member functions are spread over files by concern: server.cpp (start, teardown),
// server_listeners.cpp (binding and starting listeners, also those a reload adds),
// server_reload.cpp (reload, admin changes), server_upgrade.cpp (hot upgrade, both sides),
// server_signals.cpp (signals, stop and drain).
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <memory>
#include <string>
#include <vector>

#include "admin/admin_api.hpp"
#include "admin/admin_server.hpp"
#include "admin/prometheus_metrics.hpp"
#include "config/config.hpp"
#include "dns/dns_server.hpp"
#include "discovery/discovery_service.hpp"
#include "core/worker.hpp"
#include "health/health_monitor.hpp"
#include "http/session/http_worker.hpp"
#include "l4/udp_forwarder.hpp"
#include "l4/tcp_listener.hpp"
#include "l4/worker_context.hpp"
#include "core/log_files.hpp"
#include "runtime/heap_return.hpp"
#include "runtime/inherited_sockets.hpp"
#include "runtime/privileges.hpp"
#include "runtime/service_notifier.hpp"
#include "runtime/status_reporter.hpp"
#include "runtime/test_hooks.hpp"
#include "runtime/tls_contexts.hpp"
#include "runtime/upgrade_channel.hpp"
#include "runtime/worker_watchdog.hpp"
#include "security/guards.hpp"
#include "upstream/operator_overrides.hpp"
#include "upstream/target_registry.hpp"
#include "upstream/worker_home.hpp"

namespace fulcrum::runtime {

// What the command line adds to the file (and keeps adding on every reload).
struct ServerOptions {
  // Overrides admin.listen: "" keeps the file's, "off" disables the admin listener, a port of
  // 0 takes any free one (tests, several instances on one host). The bound address is logged.
  std::string admin_listen;
  // The hot-upgrade channel (runtime/upgrade_channel.hpp): this process listens there for its
  // successor, "" for none. With `upgrade`, it first takes the sockets of the process
  // listening there, and tells it to drain once it accepts on all of them.
  std::string upgrade_socket;
  bool upgrade = false;
  // The command line after argv[0], for the successor a SIGUSR2 starts (successor.hpp).
  std::vector<std::string> arguments;
  // The log files to reopen on SIGUSR1 and to hand to `user:` (null: none).
  core::LogFiles* log_files = nullptr;
};

class Server {
 public:
  explicit Server(std::shared_ptr<const config::Config> config, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener on every worker and starts the workers. On failure (address in
  // use, permission, unsupported protocol) returns false with `error` set; nothing runs.
  bool start(std::string& error);
  // Runs the control loop until a stop completes; returns the process exit code.
  int run();
  // Stops gracefully, as SIGTERM does (callable from the control thread).
  void begin_shutdown(std::string_view why);

  asio::io_context& control_loop() { return control_; }
  const config::Config& config() const { return *config_; }

 private:
  // At least one socket per worker; socket i is served by worker i % workers (after a hot
  // upgrade to fewer workers, some serve several: an inherited socket nobody accepted on would
  // lose the connections waiting in it).
  struct ListenerSockets {
    std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> per_worker;  // stream protocols on Asio sockets
    std::vector<std::unique_ptr<l4::TcpListener>> tcp_per_worker;      // tcp (readiness loop)
    std::vector<std::unique_ptr<l4::UdpForwarder>> udp_per_worker;      // udp
  };

  // Binds `listener` on every worker (taking inherited sockets first) and appends its sockets
  // to listeners_ (its index is the next one); false with `error`.
  bool bind_listener(const config::ListenerConfig& listener, std::string& error);
  bool bind_listeners(std::string& error);
  // Starts accepting on listeners_[index]: directly before the workers run, by posting to each
  // worker's loop once they do (a listener a reload added).
  bool start_listener(size_t index, bool workers_running, std::string& error);
  void publish(std::shared_ptr<const upstream::Snapshot> snapshot);
  // Started as root with `user:`: switches (privileges.hpp); else says who the process runs as.
  bool settle_privileges(std::string& error);
  // The command line's word over the file's (ServerOptions::admin_listen).
  static bool apply_options(config::Config& config, const ServerOptions& options, std::string& error);
  void watch_signals();
  void wait_for_reload();
  void wait_for_reopen();
  void wait_for_upgrade_signal();
  void wait_for_children();
  // Reload's half that may fail: reads and checks the file, binds listeners it adds. On
  // success config_ serves the new file.
  admin::ReloadOutcome apply_file();
  // Files the configuration names that this process (as it runs now) cannot read.
  std::string unreadable_files(const config::Config& config) const;
  // Reads the file again and applies it whole, or changes nothing and says why (SIGHUP and
  // POST /api/v1/reload).
  admin::ReloadOutcome reload();
  bool start_admin(std::string& error);
  // Hot upgrade: takes the old process's sockets (start of start()), tells it to drain (end).
  bool receive_sockets(std::string& error);
  void finish_upgrade();
  void listen_for_upgrade();
  std::vector<HandedSocket> listening_sockets();
  std::string hand_over(pid_t successor);
  void start_successor();
  admin::ChangeOutcome change_target(const admin::TargetChange& change);
  // Rebuilds what is served from the file, the addresses the followed names give now and the
  // operator's changes, and publishes it (after a reload, an API change, or a DNS change).
  void serve();
  // At start: lets the followed names have their first answers before anything accepts.
  void wait_for_first_answers();
  // GET /api/v1/status's part about the process.
  nlohmann::json process_status() const;
  void check_drained();
  // The control thread's timers and services (watchdog, status, health, TLS watch, admin, DNS).
  void stop_services();
  uint64_t active_sessions() const;
  std::vector<admin::UdpListenerTotals> udp_totals() const;  // for GET /metrics
  std::string discovery_metrics() const { return discovery_ ? discovery_->prometheus_text() : std::string(); }

  std::shared_ptr<const config::Config> config_;       // what is served: the file + operator changes
  std::shared_ptr<const config::Config> file_config_;  // the file (with command-line options)
  // The file with the addresses its dns: and srv: names give now: what the operator's changes
  // are laid over (they are kept while the address they name exists).
  std::shared_ptr<const config::Config> resolved_config_;
  upstream::OperatorOverrides overrides_;              // targets changed through the admin API
  ServerOptions options_;
  asio::io_context control_{1};
  asio::signal_set stop_signals_{control_, SIGTERM, SIGINT};
  asio::signal_set reload_signal_{control_, SIGHUP};
  asio::signal_set reopen_signal_{control_, SIGUSR1};
  asio::signal_set upgrade_signal_{control_, SIGUSR2};
  asio::signal_set child_signal_{control_, SIGCHLD};
  pid_t successor_ = -1;  // started by SIGUSR2, until it exits or takes over
  asio::steady_timer drain_timer_{control_};
  std::chrono::steady_clock::time_point drain_deadline_{};
  bool shutting_down_ = false;
  bool handed_over_ = false;  // a successor took the sockets (hot upgrade)
  std::unique_ptr<InheritedSockets> inherited_;    // during start() with --upgrade
  std::unique_ptr<UpgradeClient> upgrade_client_;  // during start() with --upgrade
  std::unique_ptr<UpgradeListener> upgrade_listener_;

  upstream::TargetRegistry registry_;
  // Per-client limits and security counters of every worker; declared before the workers so
  // that it outlives the sessions holding its slots.
  security::Guards guards_;
  std::unique_ptr<health::HealthMonitor> health_;  // checks, ejection, draining; publishes snapshots
  std::vector<std::unique_ptr<core::Worker>> workers_;
  // Per worker, same order: the home both proxies share (upstream view, pickers, buffers), the
  // L4 proxy's context and the HTTP proxy's worker state.
  std::vector<std::unique_ptr<upstream::WorkerHome>> homes_;
  std::vector<std::unique_ptr<l4::WorkerContext>> contexts_;
  std::vector<std::unique_ptr<http::HttpWorker>> http_workers_;
  std::vector<ListenerSockets> listeners_;  // same order as config_->listeners
  std::unique_ptr<dns::DnsServer> dns_;      // when the configuration has a dns: section
  // Follows the file's dns: and srv: names; declared after control_ (its timers and sockets
  // are I/O objects of that loop, so they must go first).
  std::unique_ptr<discovery::DiscoveryService> discovery_;
  std::unique_ptr<TlsContexts> tls_;          // certificates of the https listeners
  std::unique_ptr<admin::TrafficSampler> sampler_;
  std::unique_ptr<admin::AdminApi> admin_api_;
  std::unique_ptr<admin::AdminServer> admin_;  // when admin.enabled

  ServiceNotifier notifier_;
  std::unique_ptr<StatusReporter> status_;
  std::unique_ptr<WorkerWatchdog> watchdog_;
  std::unique_ptr<HeapReturn> heap_return_;
  std::unique_ptr<TestHooks> test_hooks_;
  std::string executable_;  // own_executable() at start, for SIGUSR2
  int64_t started_unix_ms_ = 0;
  struct LastReload {
    int64_t at_unix_ms = 0;  // 0: none yet
    bool ok = true;
    std::vector<std::string> errors;
  } last_reload_;
};

}  // namespace fulcrum::runtime
