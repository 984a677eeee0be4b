#include "runtime/server.hpp"

#include <unistd.h>

#include "config/duration.hpp"
#include "core/build_info.hpp"
#include "core/log.hpp"
#include "http/session/proxy_session.hpp"
#include "runtime/address_in_use.hpp"
#include "runtime/successor.hpp"

namespace fulcrum::runtime {

Server::Server(std::shared_ptr<const config::Config> config, ServerOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

void Server::stop_services() {
  if (watchdog_) watchdog_->stop();
  if (heap_return_) heap_return_->stop();
  if (status_) status_->stop();
  if (test_hooks_) test_hooks_->stop();
  if (sampler_) sampler_->stop();
  if (admin_) admin_->stop();
  if (health_) health_->stop();
  if (discovery_) discovery_->stop();
  if (tls_) tls_->stop();
  if (dns_) dns_->stop();
}

Server::~Server() {
  stop_services();
  // Teardown in dependency order. Sessions still open (a drain cut short by shutdown_timeout)
  // are coroutines pending in the loops or readiness-driven TCP sessions; they refer to their
  // WorkerContext, so they end (release_io, destroy_loop) while the contexts live, and every
  // I/O object goes before its loop.
  for (auto& worker : workers_) worker->stop();
  for (auto& worker : workers_) worker->join();
  for (auto& listener : listeners_) {
    for (auto& tcp : listener.tcp_per_worker) tcp->release_io();
  }
  for (auto& context : contexts_) context->release_io();
  for (auto& http : http_workers_) http->release_io();
  listeners_.clear();
  admin_.reset();
  for (auto& worker : workers_) worker->destroy_loop();
  contexts_.clear();
  http_workers_.clear();
  homes_.clear();
  workers_.clear();
}

bool Server::start_admin(std::string& error) {
  if (!config_->admin.enabled) return true;
  admin::AdminApi::Hooks hooks;
  hooks.reload = [this] { return reload(); };
  hooks.change_target = [this](const admin::TargetChange& change) { return change_target(change); };
  hooks.more_metrics = [this] {
    return guards_.prometheus_text() + admin::render_udp_metrics(udp_totals()) + discovery_metrics();
  };
  hooks.overrides = [this](const std::string& group, const std::string& address) {
    return overrides_.view(group, address);
  };
  hooks.process = [this] { return process_status(); };
  hooks.discovery = [this] {
    nlohmann::json out = nlohmann::json::object();
    if (!discovery_) return out;
    for (const auto& name : discovery_->names()) {
      out[name.origin] = {{"origin", name.origin},
                          {"addresses", name.addresses},
                          {"resolved", name.resolved},
                          {"problem", name.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(name.problem)},
                          {"next_query_in_ms", name.next_query_in_ms}};
    }
    return out;
  };
  sampler_ = std::make_unique<admin::TrafficSampler>(control_, registry_);
  admin_api_ = std::make_unique<admin::AdminApi>(registry_, sampler_.get(), std::move(hooks));
  admin_ = std::make_unique<admin::AdminServer>(
      control_, [api = admin_api_.get()](const admin::AdminRequest& request) { return api->handle(request); });
  std::vector<int> inherited;
  if (inherited_) inherited = inherited_->take(SocketKind::admin, config_->admin.listen);
  return admin_->bind(config_->admin, error, inherited.empty() ? -1 : inherited.front());
}

void Server::wait_for_first_answers() {
  // A new process (a start, the successor of a hot upgrade) accepts only once its names have
  // answered, so that its first requests do not find discovered groups empty and get 503s:
  // the control loop runs here for at most twice the resolver's timeout.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + 2 * file_config_->resolver.timeout;
  while (!discovery_->settled() && std::chrono::steady_clock::now() < deadline) control_.run_one_until(deadline);
  if (control_.stopped()) control_.restart();
  core::LogLine(core::LogLevel::info, "discovery.first_answers")
      .field("waited_ms", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::steady_clock::now() - started)
                                                   .count()))
      .field("all_answered", discovery_->settled())
      .emit();
}

bool Server::start(std::string& error) {
  executable_ = own_executable();
  started_unix_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  if (!options_.admin_listen.empty()) {
    auto adjusted = std::make_shared<config::Config>(*config_);
    if (!apply_options(*adjusted, options_, error)) return false;
    config_ = std::move(adjusted);
  }
  file_config_ = config_;
  resolved_config_ = config_;
  if (options_.upgrade && !receive_sockets(error)) return false;
  // Before any worker: an admin address in use or an unreadable token stops the start.
  if (!start_admin(error)) return false;
  uint32_t count = config_->workers == 0 ? core::default_worker_count() : config_->workers;
  guards_.set_workers(count);  // one security counter slot per worker
  for (uint32_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<core::Worker>(i));
    homes_.push_back(std::make_unique<upstream::WorkerHome>(*workers_.back()));
    contexts_.push_back(std::make_unique<l4::WorkerContext>(*homes_.back()));
    http_workers_.push_back(std::make_unique<http::HttpWorker>(*homes_.back()));
    contexts_.back()->guards = &guards_;
    http_workers_.back()->guards = &guards_;
  }
  tls_ = std::make_unique<TlsContexts>(
      control_, [this](const TlsContexts::Contexts& contexts, const std::shared_ptr<const tls::TargetContexts>& targets) {
        for (auto& http : http_workers_) {
          http::HttpWorker* target = http.get();
          target->worker.post([target, contexts, targets] {
            target->tls = contexts;
            target->set_target_tls(targets);
          });
        }
        for (auto& context : contexts_) {
          l4::WorkerContext* target = context.get();
          target->worker.post([target, targets] { target->target_tls = targets; });
        }
      });
  if (!tls_->build(*config_, error)) return false;
  for (auto& http : http_workers_) {  // before the workers start
    http->tls = tls_->contexts();
    http->set_target_tls(tls_->target_contexts());
  }
  for (auto& context : contexts_) context->target_tls = tls_->target_contexts();
  if (!bind_listeners(error)) return false;
  if (config_->dns.enabled) {
    dns_ = std::make_unique<dns::DnsServer>();
    std::vector<int> udp, tcp;
    if (inherited_) {
      udp = inherited_->take(SocketKind::dns_udp, config_->dns.listen);
      tcp = inherited_->take(SocketKind::dns_tcp, config_->dns.listen);
    }
    if (!dns_->bind(config_->dns.listen, error, udp.empty() ? -1 : udp.front(), tcp.empty() ? -1 : tcp.front())) {
      return false;
    }
  }
  // Every port is bound, every certificate read and every log file open: what root was needed
  // for is done, and no other thread exists yet.
  if (!settle_privileges(error)) return false;

  health::HealthMonitor::Hooks hooks;
  hooks.publish = [this](std::shared_ptr<const upstream::Snapshot> snapshot) { publish(std::move(snapshot)); };
  hooks.close_sessions = [this](std::shared_ptr<upstream::TrafficOutcomes> target) {
    for (size_t w = 0; w < workers_.size(); ++w) {
      upstream::WorkerHome* home = homes_[w].get();
      http::HttpWorker* http = http_workers_[w].get();
      std::vector<l4::UdpForwarder*> forwarders;  // UDP flows to the target end too
      for (auto& listener : listeners_) {
        for (size_t i = w; i < listener.udp_per_worker.size(); i += workers_.size()) {
          forwarders.push_back(listener.udp_per_worker[i].get());  // socket i is served by worker i % workers
        }
      }
      // One post per worker: TCP sessions, HTTP requests and tunnels (one list, the home's),
      // UDP flows, and the HTTP pool's idle connections.
      home->worker.post([home, http, forwarders, target] {
        home->upstreams.sessions().close_target(target.get());
        for (auto* forwarder : forwarders) forwarder->close_target(target.get());
        http->close_target(target.get());
      });
    }
  };
  registry_.set_worker_count(static_cast<uint32_t>(workers_.size()));
  health_ = std::make_unique<health::HealthMonitor>(control_, registry_, std::move(hooks));
  // Names start resolving now; their groups fill as the answers come (a name not resolved yet
  // gives no targets).
  discovery_ = std::make_unique<discovery::DiscoveryService>(control_, [this] { serve(); });
  if (!discovery_->apply(*file_config_, error)) return false;
  if (discovery_->following()) wait_for_first_answers();
  serve();  // the first snapshot, and the first round of health checks scheduled
  for (size_t l = 0; l < listeners_.size(); ++l) {
    if (!start_listener(l, false, error)) return false;
  }
  // Workers parse what clients send and bind nothing: an unprivileged process's workers keep no
  // capability at all (root's keep root's: without `user:` nothing changes).
  const bool unprivileged = ::geteuid() != 0;
  for (auto& worker : workers_) worker->start(unprivileged ? std::function<void()>(drop_thread_capabilities) : nullptr);
  tls_->watch(config_);
  if (dns_) {
    dns_->start();
    core::LogLine(core::LogLevel::info, "dns.start")
        .field("listen", config_->dns.listen.to_string())
        .field("zones", static_cast<uint64_t>(config_->dns.zones.size()))
        .field("names", static_cast<uint64_t>(config_->dns.names.size()))
        .emit();
    if (const auto& geoip = config_->dns.geoip) {
      core::LogLine(core::LogLevel::info, "dns.geoip")
          .field("file", geoip->path())
          .field("type", geoip->database_type())
          .field("built", geoip->build_epoch())
          .emit();
    }
  }
  watch_signals();
  if (admin_) {
    sampler_->start();
    admin_->start_accepting();
    core::LogLine(core::LogLevel::info, "admin.start")
        .field("listen", admin_->bound_address())
        .field("token", !config_->admin.token_file.empty())
        .emit();
  }

  for (const auto& listener : config_->listeners) {
    core::LogLine(core::LogLevel::info, "listener.start")
        .field("listener", listener.name)
        .field("listen", listener.listen.to_string())
        .field("protocol", config::to_string(listener.protocol))
        .field("scheme", config::to_string(listener.scheme))
        .emit();
  }
  core::LogLine(core::LogLevel::info, "fulcrum.start")
      .field("workers", static_cast<uint64_t>(workers_.size()))
      .field("version", core::version())
      .field("commit", core::git_commit())
      .field("pid", static_cast<int64_t>(::getpid()))
      .emit();
  test_hooks_ = TestHooks::from_environment(control_, *workers_.front());
  finish_upgrade();
  listen_for_upgrade();
  status_ = std::make_unique<StatusReporter>(control_, registry_, notifier_);
  std::vector<core::Worker*> workers;
  for (auto& worker : workers_) workers.push_back(worker.get());
  watchdog_ = std::make_unique<WorkerWatchdog>(control_, std::move(workers), notifier_);
  // Every listener accepts and the first health round is scheduled (after a hot upgrade, the old
  // process has made this one the service's main process first).
  notifier_.ready(status_->line());
  status_->start();
  watchdog_->start();
  std::vector<upstream::WorkerHome*> homes;
  for (auto& home : homes_) homes.push_back(home.get());
  heap_return_ = std::make_unique<HeapReturn>(control_, std::move(homes));
  heap_return_->start();
  return true;
}

nlohmann::json Server::process_status() const {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  nlohmann::json out = {{"version", core::version()},
                        {"commit", core::git_commit()},
                        {"pid", static_cast<int64_t>(::getpid())},
                        {"started", admin::iso8601_utc(started_unix_ms_)},
                        // Whole seconds in the file's units ("3h12m5s"); the exact figure beside it.
                        {"uptime", config::format_duration(std::chrono::seconds((now - started_unix_ms_) / 1000))},
                        {"uptime_seconds", (now - started_unix_ms_) / 1000},
                        {"credentials", describe_credentials()},
                        {"workers", workers_.size()},
                        {"config_file", config_->source_path},
                        {"shutting_down", shutting_down_},
                        {"systemd", notifier_.enabled()}};
  if (last_reload_.at_unix_ms == 0) {
    out["last_reload"] = nullptr;
  } else {
    out["last_reload"] = {{"at", admin::iso8601_utc(last_reload_.at_unix_ms)},
                          {"ok", last_reload_.ok},
                          {"errors", last_reload_.errors}};
  }
  return out;
}

std::vector<admin::UdpListenerTotals> Server::udp_totals() const {
  std::vector<admin::UdpListenerTotals> out;
  for (size_t l = 0; l < listeners_.size() && l < config_->listeners.size(); ++l) {
    if (listeners_[l].udp_per_worker.empty()) continue;
    admin::UdpListenerTotals totals;
    totals.listener = config_->listeners[l].name;
    for (const auto& forwarder : listeners_[l].udp_per_worker) {
      const l4::UdpCounters& c = forwarder->counters();
      totals.datagrams_in += c.datagrams_in.get();
      totals.datagrams_out += c.datagrams_out.get();
      totals.bytes_in += c.bytes_in.get();
      totals.bytes_out += c.bytes_out.get();
      totals.flows_created += c.flows_created.get();
      totals.flows_closed += c.flows_closed.get();
      totals.flows_expired += c.flows_expired.get();
      totals.flows_evicted += c.flows_evicted.get();
      totals.flows_target_unreachable += c.flows_target_unreachable.get();
      totals.flows_deregistered += c.flows_deregistered.get();
      totals.flows_target_unhealthy += c.flows_target_unhealthy.get();
      totals.datagrams_rerouted += c.datagrams_rerouted.get();
      totals.dropped_no_target += c.dropped_no_target.get();
      totals.dropped_send += c.dropped_send.get();
    }
    out.push_back(std::move(totals));
  }
  return out;
}

void Server::publish(std::shared_ptr<const upstream::Snapshot> snapshot) {
  if (dns_) dns_->install(snapshot);  // answers follow the same targets and health as the workers
  // One post per worker: the home's view and pickers first (shared by both proxies), then each
  // proxy's own tables.
  for (size_t w = 0; w < workers_.size(); ++w) {
    upstream::WorkerHome* home = homes_[w].get();
    l4::WorkerContext* context = contexts_[w].get();
    http::HttpWorker* http = http_workers_[w].get();
    home->worker.post([home, context, http, snapshot] {
      home->upstreams.install(snapshot);
      context->install(snapshot);
      http->install(snapshot);
    });
  }
}

uint64_t Server::active_sessions() const {
  uint64_t total = 0;
  for (const auto& context : contexts_) total += context->active_sessions.load(std::memory_order_relaxed);
  for (const auto& http : http_workers_) total += http->active_sessions.load(std::memory_order_relaxed);
  return total;
}

int Server::run() {
  control_.run();
  for (auto& worker : workers_) worker->join();
  core::log_message(core::LogLevel::info, "fulcrum.stopped", "bye");
  return 0;
}

}  // namespace fulcrum::runtime
