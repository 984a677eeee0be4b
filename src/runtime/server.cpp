#include "runtime/server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include <optional>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "config/config_loader.hpp"
#include "core/clock.hpp"
#include "core/close_shared_socket.hpp"
#include "core/log.hpp"
#include "http/session/proxy_session.hpp"
#include "runtime/address_in_use.hpp"

namespace fulcrum::runtime {
namespace {

// `inherited`: a socket already bound and listening (hot upgrade), or -1 to make one.
std::unique_ptr<asio::ip::tcp::acceptor> open_acceptor(asio::io_context& loop, const core::Endpoint& address,
                                                       std::string& error, int inherited) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(loop);
  asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.address(), address.length);
  asio::error_code ec;
  if (inherited >= 0) {
    acceptor->assign(endpoint.protocol(), inherited, ec);
    if (ec) {
      error = "cannot take over the socket on " + address.to_string() + ": " + ec.message();
      return nullptr;
    }
    return acceptor;
  }
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    // One socket per worker on the same port: the kernel spreads new connections over them.
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
  }
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + address.to_string() + ": " + ec.message();
    return nullptr;
  }
  return acceptor;
}

// A datagram socket per worker on the same address: the kernel hashes each client
// address:port to one of them, so every datagram of a flow reaches the same worker.
std::optional<asio::ip::udp::socket> open_udp_socket(asio::io_context& loop, const core::Endpoint& address,
                                                     std::string& error, int inherited) {
  asio::ip::udp::socket socket(loop);
  asio::ip::udp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.address(), address.length);
  asio::error_code ec;
  if (inherited >= 0) {
    socket.assign(endpoint.protocol(), inherited, ec);
    if (ec) {
      error = "cannot take over the udp socket on " + address.to_string() + ": " + ec.message();
      return std::nullopt;
    }
    return socket;
  }
  socket.open(endpoint.protocol(), ec);
  if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(socket.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
  }
  if (!ec) socket.bind(endpoint, ec);
  if (ec) {
    error = "cannot listen on udp " + address.to_string() + ": " + ec.message();
    return std::nullopt;
  }
  return socket;
}

// The command line's word over the file's (ServerOptions::admin_listen).
bool apply_options(config::Config& config, const ServerOptions& options, std::string& error) {
  if (options.admin_listen.empty()) return true;
  if (options.admin_listen == "off") {
    config.admin.enabled = false;
    return true;
  }
  core::EndpointError parse_error;
  auto endpoint = core::parse_endpoint(options.admin_listen, parse_error, true);
  if (!endpoint) {
    error = "--admin-listen " + options.admin_listen + ": " + parse_error.message;
    return false;
  }
  config.admin.enabled = true;
  config.admin.listen = *endpoint;
  config.admin.listen_text = options.admin_listen;
  if (!endpoint->is_loopback() && config.admin.token_file.empty()) {
    error = "--admin-listen " + options.admin_listen +
            " is not a loopback address, so the API needs a token: set admin.token_file";
    return false;
  }
  return true;
}

}  // namespace

Server::Server(std::shared_ptr<const config::Config> config, ServerOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

Server::~Server() {
  if (sampler_) sampler_->stop();
  if (admin_) admin_->stop();
  if (health_) health_->stop();
  if (tls_) tls_->stop();
  // Teardown in dependency order. Sessions still open (a drain cut short by shutdown_timeout)
  // are coroutines pending in the loops or readiness-driven TCP sessions; they refer to their
  // WorkerContext, so they end (release_io, destroy_loop) while the contexts live, and every
  // I/O object goes before its loop.
  if (dns_) dns_->stop();
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

bool Server::bind_listeners(std::string& error) {
  // Every address is probed before any is bound, so that listeners of this file that overlap
  // (0.0.0.0:80 and 127.0.0.1:80, which SO_REUSEPORT allows) do not read as another process.
  // A hot upgrade skips it: the process it replaces holds the ports on purpose.
  if (!inherited_) {
    for (const auto& listener : config_->listeners) {
      const bool udp = listener.protocol == config::ListenerProtocol::udp;
      if (auto reason = address_in_use(listener.listen, udp)) {
        error = "listener '" + listener.name + "': cannot listen on " + (udp ? "udp " : "") +
                listener.listen.to_string() + ": " + *reason;
        return false;
      }
    }
  }
  const size_t worker_count = workers_.size();
  for (const auto& listener : config_->listeners) {
    ListenerSockets sockets;
    const size_t index = listeners_.size();
    const bool udp = listener.protocol == config::ListenerProtocol::udp;
    std::vector<int> inherited;
    if (inherited_) inherited = inherited_->take(udp ? SocketKind::datagram : SocketKind::stream, listener.listen);
    const size_t count = std::max(worker_count, inherited.size());
    for (size_t i = 0; i < count; ++i) {
      const size_t w = i % worker_count;
      const int fd = i < inherited.size() ? inherited[i] : -1;
      if (udp) {
        auto socket = open_udp_socket(workers_[w]->loop(), listener.listen, error, fd);
        if (!socket) {
          error = "listener '" + listener.name + "': " + error;
          return false;
        }
        const uint32_t share = static_cast<uint32_t>((listener.max_flows + count - 1) / count);
        sockets.udp_per_worker.push_back(
            std::make_unique<l4::UdpForwarder>(*contexts_[w], index, std::move(*socket), share));
        continue;
      }
      auto acceptor = open_acceptor(workers_[w]->loop(), listener.listen, error, fd);
      if (!acceptor) {
        error = "listener '" + listener.name + "': " + error;
        return false;
      }
      // tcp and tls (passthrough) are relayed by the L4 sessions; http and https by the HTTP proxy.
      if (listener.protocol != config::ListenerProtocol::tcp && listener.protocol != config::ListenerProtocol::tls) {
        sockets.per_worker.push_back(std::move(acceptor));
        continue;
      }
      // Bound by Asio (same options as every listener), then driven by the readiness loop.
      asio::error_code ec;
      int released = acceptor->release(ec);
      if (ec) {
        error = "listener '" + listener.name + "': " + ec.message();
        return false;
      }
      sockets.tcp_per_worker.push_back(std::make_unique<l4::TcpListener>(*contexts_[w], index, released));
    }
    listeners_.push_back(std::move(sockets));
  }
  return true;
}

bool Server::start_admin(std::string& error) {
  if (!config_->admin.enabled) return true;
  admin::AdminApi::Hooks hooks;
  hooks.reload = [this] { return reload(); };
  hooks.change_target = [this](const admin::TargetChange& change) { return change_target(change); };
  hooks.more_metrics = [this] { return guards_.prometheus_text() + admin::render_udp_metrics(udp_totals()); };
  hooks.overrides = [this](const std::string& group, const std::string& address) {
    return overrides_.view(group, address);
  };
  sampler_ = std::make_unique<admin::TrafficSampler>(control_, registry_);
  admin_api_ = std::make_unique<admin::AdminApi>(registry_, sampler_.get(), std::move(hooks));
  admin_ = std::make_unique<admin::AdminServer>(
      control_, [api = admin_api_.get()](const admin::AdminRequest& request) { return api->handle(request); });
  std::vector<int> inherited;
  if (inherited_) inherited = inherited_->take(SocketKind::admin, config_->admin.listen);
  return admin_->bind(config_->admin, error, inherited.empty() ? -1 : inherited.front());
}


bool Server::start(std::string& error) {
  if (!options_.admin_listen.empty()) {
    auto adjusted = std::make_shared<config::Config>(*config_);
    if (!apply_options(*adjusted, options_, error)) return false;
    config_ = std::move(adjusted);
  }
  file_config_ = config_;
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
  health_->apply(config_);
  for (size_t l = 0; l < listeners_.size(); ++l) {
    auto& sockets = listeners_[l];
    for (auto& forwarder : sockets.udp_per_worker) forwarder->start();
    for (size_t i = 0; i < sockets.per_worker.size(); ++i) {  // http, https
      const size_t w = i % workers_.size();
      asio::co_spawn(contexts_[w]->loop(), http::http_accept_loop(*http_workers_[w], *sockets.per_worker[i], l),
                     asio::detached);
    }
    for (auto& tcp : sockets.tcp_per_worker) {
      if (!tcp->start(error)) {
        error = "listener '" + config_->listeners[l].name + "': " + error;
        return false;
      }
    }
  }
  for (auto& worker : workers_) worker->start();
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
        .emit();
  }
  core::LogLine(core::LogLevel::info, "fulcrum.start").field("workers", static_cast<uint64_t>(workers_.size())).emit();
  finish_upgrade();
  listen_for_upgrade();
  return true;
}

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
  hooks.hand_over = [this] { return hand_over(); };
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

std::string Server::hand_over() {
  handed_over_ = true;
  const uint64_t open = active_sessions();
  begin_shutdown("upgrade");
  return "pid=" + std::to_string(::getpid()) + " open_connections=" + std::to_string(open);
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
}

void Server::wait_for_reload() {
  reload_signal_.async_wait([this](const asio::error_code& ec, int) {
    if (ec) return;
    (void)reload();  // the outcome is logged
    wait_for_reload();
  });
}

admin::ReloadOutcome Server::reload() {
  // A reload re-reads targets, groups, rules and the admin token; listeners, the dns section
  // and the admin address need a restart (said in the answer and the log, never applied
  // halfway: the old configuration keeps serving).
  admin::ReloadOutcome outcome;
  auto fail = [&](std::string why) {
    core::LogLine(core::LogLevel::error, "config.reload_failed").field("error", why).emit();
    outcome.errors.push_back(std::move(why));
    return outcome;
  };
  auto result = config::load_config_file(config_->source_path);
  if (!result.config || !result.errors.empty()) {
    for (const auto& error : result.errors) fail(error.format());
    if (outcome.errors.empty()) fail(config_->source_path + ": not loaded");
    return outcome;
  }
  std::string error;
  if (!apply_options(*result.config, options_, error)) return fail(error);
  auto next = std::make_shared<const config::Config>(std::move(*result.config));
  bool same_listeners = next->listeners.size() == config_->listeners.size();
  for (size_t i = 0; same_listeners && i < next->listeners.size(); ++i) {
    same_listeners = next->listeners[i].listen == config_->listeners[i].listen &&
                     next->listeners[i].protocol == config_->listeners[i].protocol;
  }
  if (next->dns.enabled != config_->dns.enabled || (next->dns.enabled && !(next->dns.listen == config_->dns.listen))) {
    return fail(
        "dns section added, removed or moved to another address: restart to apply; the old configuration keeps "
        "serving");
  }
  if (!same_listeners) {
    return fail("listener addresses or protocols changed: restart to apply; the old configuration keeps serving");
  }
  if (next->admin.enabled != config_->admin.enabled ||
      (next->admin.enabled && !(next->admin.listen == config_->admin.listen))) {
    return fail("admin.enabled or admin.listen changed: restart to apply; the old configuration keeps serving");
  }
  if (admin_ && !admin_->reload_token(next->admin, error)) {
    return fail(error + "; the old configuration (and token) keep serving");
  }
  file_config_ = next;
  std::vector<upstream::OperatorOverrides::Dropped> dropped;
  config_ = std::make_shared<const config::Config>(overrides_.apply(*file_config_, &dropped));
  for (const auto& d : dropped) {
    core::LogLine(core::LogLevel::info, "admin.change_dropped")
        .field("group", d.group)
        .field("target", d.address)
        .field("why", "the file changed this target since the operator's change: the file wins")
        .emit();
  }
  health_->apply(config_);
  tls_->reload(*config_);  // certificates re-read; a bad one is logged and the old one stays
  tls_->watch(config_);
  core::log_message(core::LogLevel::info, "config.reloaded", config_->source_path);
  outcome.ok = true;
  return outcome;
}

admin::ChangeOutcome Server::change_target(const admin::TargetChange& change) {
  using Kind = admin::TargetChange::Kind;
  admin::ChangeOutcome outcome;
  int status = 400;
  std::string error;
  switch (change.kind) {
    case Kind::register_target: {
      config::TargetConfig target;
      target.address = change.endpoint;
      target.address_text = change.address;
      target.weight = change.weight;
      target.zone = change.zone;
      error = overrides_.register_target(*file_config_, *config_, change.group, target, status);
      break;
    }
    case Kind::deregister:
      error = overrides_.deregister_target(*file_config_, *config_, change.group, change.address, status);
      break;
    case Kind::weight:
      error = overrides_.set_weight(*file_config_, *config_, change.group, change.address, change.weight, status);
      break;
    case Kind::drain:
      error = overrides_.set_drained(*file_config_, *config_, change.group, change.address, change.drain, status);
      break;
  }
  if (!error.empty()) {
    outcome.status = status;
    outcome.error = std::move(error);
    return outcome;
  }
  config_ = std::make_shared<const config::Config>(overrides_.apply(*file_config_));
  health_->apply(config_);  // builds and publishes the snapshot to every worker now
  const char* kinds[] = {"register", "deregister", "weight", "drain"};
  core::LogLine(core::LogLevel::info, "admin.target_change")
      .field("change", kinds[static_cast<int>(change.kind)])
      .field("group", change.group)
      .field("target", change.address)
      .field("weight", change.weight)
      .field("drain", change.drain)
      .emit();
  return outcome;
}

void Server::begin_shutdown(std::string_view why) {
  if (shutting_down_) return;
  shutting_down_ = true;
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

uint64_t Server::active_sessions() const {
  uint64_t total = 0;
  for (const auto& context : contexts_) total += context->active_sessions.load(std::memory_order_relaxed);
  for (const auto& http : http_workers_) total += http->active_sessions.load(std::memory_order_relaxed);
  return total;
}

void Server::check_drained() {
  uint64_t open = active_sessions();
  bool expired = std::chrono::steady_clock::now() >= drain_deadline_;
  if (open == 0 || expired) {
    if (open > 0) {
      core::LogLine(core::LogLevel::warn, "fulcrum.shutdown_timeout").field("closed_connections", open).emit();
    }
    if (dns_) dns_->stop();
    if (admin_) admin_->stop();
    if (sampler_) sampler_->stop();
    for (auto& worker : workers_) worker->stop();
    health_->stop();
    tls_->stop();
    control_.stop();
    return;
  }
  drain_timer_.expires_after(std::chrono::milliseconds(50));
  drain_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) check_drained();
  });
}

int Server::run() {
  control_.run();
  for (auto& worker : workers_) worker->join();
  core::log_message(core::LogLevel::info, "fulcrum.stopped", "bye");
  return 0;
}

}  // namespace fulcrum::runtime
