// Server: reloading the file (SIGHUP, POST /api/v1/reload) and the admin API's target changes.
#include <algorithm>

#include "config/config_loader.hpp"
#include "core/log.hpp"
#include "runtime/address_in_use.hpp"
#include "runtime/server.hpp"
#include "tls/server_context.hpp"

namespace fulcrum::runtime {
namespace {

// The new file's listeners in the order this process serves them: the ones it already has at
// their old places (workers and open connections know a listener by its position), then the
// ones the file adds. Empty with `error` when the file drops or moves a listener: that takes a
// hot upgrade, since connections in flight on it would lose their listener.
std::vector<config::ListenerConfig> served_order(const config::Config& now, const config::Config& next,
                                                 std::string& error) {
  std::vector<config::ListenerConfig> ordered;
  std::vector<bool> taken(next.listeners.size(), false);
  for (const auto& old : now.listeners) {
    auto found = std::find_if(next.listeners.begin(), next.listeners.end(),
                              [&](const config::ListenerConfig& l) { return l.name == old.name; });
    if (found == next.listeners.end() || !(found->listen == old.listen) || found->protocol != old.protocol) {
      error = "listener '" + old.name + "' " +
              (found == next.listeners.end() ? std::string("was removed or renamed")
                                             : "moved to " + found->listen.to_string() + " " +
                                                   config::to_string(found->protocol)) +
              ": a reload adds listeners but does not take one away; use a hot upgrade (SIGUSR2, or fulcrum run "
              "--upgrade) or a restart. The old configuration keeps serving";
      return {};
    }
    taken[static_cast<size_t>(found - next.listeners.begin())] = true;
    ordered.push_back(*found);
  }
  for (size_t i = 0; i < next.listeners.size(); ++i) {
    if (!taken[i]) ordered.push_back(next.listeners[i]);
  }
  return ordered;
}

}  // namespace

bool Server::apply_options(config::Config& config, const ServerOptions& options, std::string& error) {
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

admin::ReloadOutcome Server::reload() {
  notifier_.reloading();
  core::log_message(core::LogLevel::info, "config.reloading", config_->source_path);
  admin::ReloadOutcome outcome = apply_file();
  last_reload_ = {std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count(),
                  outcome.ok, outcome.errors};
  // systemd hears READY=1 either way: the process serves, on the new file or on the old one.
  if (outcome.ok) {
    if (status_) status_->set_note("");
    notifier_.reloaded(status_ ? status_->line() : "reloaded");
  } else {
    const std::string note = "reload failed: " + (outcome.errors.empty() ? std::string("?") : outcome.errors.front()) +
                             (outcome.errors.size() > 1 ? " (and " + std::to_string(outcome.errors.size() - 1) +
                                                              " more errors)"
                                                        : "") +
                             "; serving the previous configuration";
    if (status_) status_->set_note(note);
    notifier_.reloaded(status_ ? status_->line() : note);
  }
  return outcome;
}

admin::ReloadOutcome Server::apply_file() {
  // Targets, groups, rules, certificates and the admin token change in place; listeners may be
  // added (bound now, so a port below 1024 needs CAP_NET_BIND_SERVICE, which an unprivileged
  // Fulcrum keeps). Removing or moving a listener, the dns section, the admin address and the
  // user need a hot upgrade or a restart: said in the answer and the log, never applied
  // halfway; the old configuration keeps serving.
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
  if (result.config->user != config_->user || result.config->group != config_->group) {
    return fail("user or group changed: restart to apply; the old configuration keeps serving");
  }
  std::vector<config::ListenerConfig> ordered = served_order(*config_, *result.config, error);
  if (ordered.empty()) return fail(error);
  result.config->listeners = std::move(ordered);
  auto next = std::make_shared<const config::Config>(std::move(*result.config));
  if (next->dns.enabled != config_->dns.enabled || (next->dns.enabled && !(next->dns.listen == config_->dns.listen))) {
    return fail(
        "dns section added, removed or moved to another address: restart to apply; the old configuration keeps "
        "serving");
  }
  if (next->admin.enabled != config_->admin.enabled ||
      (next->admin.enabled && !(next->admin.listen == config_->admin.listen))) {
    return fail("admin.enabled or admin.listen changed: restart to apply; the old configuration keeps serving");
  }
  // Before anything changes: an unprivileged process reads the files as its user now.
  if (std::string unreadable = unreadable_files(*next); !unreadable.empty()) {
    return fail("cannot read " + unreadable + "; the old configuration keeps serving");
  }
  const size_t kept = config_->listeners.size();
  for (size_t i = kept; i < next->listeners.size(); ++i) {
    const auto& listener = next->listeners[i];
    if (listener.protocol == config::ListenerProtocol::https) {
      std::string why;
      if (!tls::ServerContext::build(listener.tls, nullptr, why)) {
        return fail("listener '" + listener.name + "': " + why + "; the old configuration keeps serving");
      }
    }
    const bool udp = listener.protocol == config::ListenerProtocol::udp;
    if (auto reason = address_in_use(listener.listen, udp)) {
      return fail("listener '" + listener.name + "': cannot listen on " + (udp ? "udp " : "") +
                  listener.listen.to_string() + ": " + *reason + "; the old configuration keeps serving");
    }
  }
  for (size_t i = kept; i < next->listeners.size(); ++i) {
    if (!bind_listener(next->listeners[i], error)) {
      listeners_.resize(kept);  // nothing accepted on them yet
      return fail(error + "; the old configuration keeps serving");
    }
  }
  if (!discovery_->prepare(*next, error)) {
    listeners_.resize(kept);
    return fail("resolver: " + error + "; the old configuration keeps serving");
  }
  if (admin_ && !admin_->reload_token(next->admin, error)) {
    listeners_.resize(kept);
    return fail(error + "; the old configuration (and token) keep serving");
  }
  // Cannot fail now: prepare() started the resolver these settings need.
  if (!discovery_->apply(*next, error)) {
    core::LogLine(core::LogLevel::error, "discovery.resolver").field("why", error).emit();
  }
  file_config_ = next;
  // Posted to every worker in this order: the snapshot, the TLS contexts, then the new
  // listeners' accept loops (start_listener), so a new listener's first connection finds both.
  serve();
  tls_->reload(*config_);  // certificates re-read; a bad one is logged and the old one stays
  tls_->watch(config_);
  for (size_t i = kept; i < config_->listeners.size(); ++i) {
    (void)start_listener(i, true, error);
    const auto& listener = config_->listeners[i];
    core::LogLine(core::LogLevel::info, "listener.start")
        .field("listener", listener.name)
        .field("listen", listener.listen.to_string())
        .field("protocol", config::to_string(listener.protocol))
        .field("scheme", config::to_string(listener.scheme))
        .field("added_by", "reload")
        .emit();
  }
  core::log_message(core::LogLevel::info, "config.reloaded", config_->source_path);
  outcome.ok = true;
  return outcome;
}

void Server::serve() {
  if (!health_ || !discovery_) return;
  resolved_config_ = std::make_shared<const config::Config>(discovery_->expand(*file_config_));
  std::vector<upstream::OperatorOverrides::Dropped> dropped;
  config_ = std::make_shared<const config::Config>(overrides_.apply(*resolved_config_, &dropped));
  for (const auto& d : dropped) {
    core::LogLine(core::LogLevel::info, "admin.change_dropped")
        .field("group", d.group)
        .field("target", d.address)
        .field("why", "the file (or the DNS answers) changed this target since the operator's change: they win")
        .emit();
  }
  health_->apply(config_);
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
      error = overrides_.register_target(*resolved_config_, *config_, change.group, target, status);
      break;
    }
    case Kind::deregister:
      error = overrides_.deregister_target(*resolved_config_, *config_, change.group, change.address, status);
      break;
    case Kind::weight:
      error = overrides_.set_weight(*resolved_config_, *config_, change.group, change.address, change.weight, status);
      break;
    case Kind::drain:
      error = overrides_.set_drained(*resolved_config_, *config_, change.group, change.address, change.drain, status);
      break;
  }
  if (!error.empty()) {
    outcome.status = status;
    outcome.error = std::move(error);
    return outcome;
  }
  config_ = std::make_shared<const config::Config>(overrides_.apply(*resolved_config_));
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

}  // namespace fulcrum::runtime
