#include "health/health_monitor.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "config/duration.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/use_tuple.hpp"
#include "health/active_check.hpp"

namespace fulcrum::health {
namespace {

// How often passive outcomes, ejection ends and draining targets are looked at: the delay
// between the failure that crosses the threshold and the ejection.
constexpr std::chrono::milliseconds kTick{100};
// Status changes arriving together (start-up, a switch failing) make one snapshot.
constexpr std::chrono::milliseconds kPublishCoalesce{5};
constexpr std::chrono::milliseconds kPhaseSlot{20};

std::string seconds_text(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

std::string fingerprint_of(const config::HealthCheck& check, const std::string& address) {
  std::string text = address + "|" + config::to_string(check.protocol) + "|" + std::to_string(check.port.value_or(0)) +
                     "|" + check.path + "|" + check.host + "|" + check.matcher + "|" +
                     std::to_string(check.interval.count()) + "|" + std::to_string(check.timeout.count()) + "|" +
                     std::to_string(check.agent_port.value_or(0)) + "|" + check.send + "|" + check.expect;
  return text;
}

upstream::TargetStatus status(upstream::TargetState state, std::string code, std::string reason) {
  return upstream::TargetStatus{state, std::move(code), std::move(reason), upstream::unix_now_ms()};
}

}  // namespace

struct HealthMonitor::Probe {
  Probe(asio::io_context& loop, Watched* w, bool aux) : watched(w), agent_aux(aux), timer(loop) {}
  Watched* watched;  // valid until stopped: a Watched stops its probes before it goes
  bool agent_aux;
  CheckSpec spec;
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds first_delay{0};
  asio::steady_timer timer;
  CheckConnection connection;  // http(s): kept between checks
  uint64_t tcp_check = 0;      // tcp: its id in the TcpCheckSchedule
  bool stopped = false;
};

HealthMonitor::HealthMonitor(asio::io_context& loop, upstream::TargetRegistry& registry, Hooks hooks)
    : loop_(loop),
      registry_(registry),
      hooks_(std::move(hooks)),
      tick_timer_(loop),
      publish_timer_(loop),
      doorbell_(std::make_shared<upstream::OutlierDoorbell>()),
      doorbell_wait_(loop),
      tcp_checks_(loop, kPhaseSlot) {
  if (const int fd = doorbell_->duplicate(); fd >= 0) {
    asio::error_code ec;
    doorbell_wait_.assign(fd, ec);
    if (!ec) {
      registry_.set_doorbell(doorbell_);
      wait_for_doorbell();
    }
  }
}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [key, watched] : watched_) {
    for (auto* probe : {&watched->probe, &watched->agent_probe}) {
      if (*probe) stop_probe(**probe);
    }
  }
  groups_.clear();
  watched_.clear();
  tcp_checks_.clear();
  tick_timer_.cancel();
  publish_timer_.cancel();
  asio::error_code ignored;
  doorbell_wait_.close(ignored);
}

size_t HealthMonitor::running_probes() const {
  size_t count = 0;
  for (const auto& [key, watched] : watched_) count += (watched->probe ? 1 : 0) + (watched->agent_probe ? 1 : 0);
  return count;
}

asio::ssl::context& HealthMonitor::tls_context() {
  if (!tls_) {
    // Health checks judge whether a target answers, not who it is (as ALB's do): no verification.
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    tls_->set_verify_mode(asio::ssl::verify_none);
  }
  return *tls_;
}

void HealthMonitor::apply(std::shared_ptr<const config::Config> config) {
  if (stopped_) return;
  auto snapshot = registry_.build(std::move(config), core::now_ms());
  sync_probes(*snapshot);
  // The verdicts set by sync_probes go into the snapshot published now, so workers never
  // see a state the monitor has already corrected.
  publish_timer_.cancel();
  publish_pending_ = false;
  publish_now();
  schedule_tick();
}

std::shared_ptr<HealthMonitor::Probe> HealthMonitor::start_probe(Watched& watched, const config::TargetGroupConfig& group,
                                                                  const upstream::TargetInfo& target, bool agent_aux) {
  const auto& check = group.health_check;
  auto probe = std::make_shared<Probe>(loop_, &watched, agent_aux);
  probe->interval = check.interval;
  CheckSpec& spec = probe->spec;
  spec.protocol = agent_aux ? config::HealthProtocol::agent : check.protocol;
  std::memcpy(spec.address.data(), target.address.address(), target.address.length);
  uint16_t port = target.address.port();
  if (spec.protocol == config::HealthProtocol::agent) port = check.agent_port.value_or(port);
  else if (check.port) port = *check.port;
  spec.address.port(port);
  spec.path = check.path;
  spec.host = check.host.empty() ? target.address_text : check.host;
  std::string error;
  if (auto matcher = config::parse_status_matcher(check.matcher, error)) spec.matcher = *matcher;
  spec.matcher_text = check.matcher;
  spec.timeout = check.timeout;
  spec.send = check.send;
  spec.expect = check.expect;
  // Spread over the interval so that 1,000 targets do not fire at once, but on 20 ms slots:
  // checks sharing a slot start on one wake-up of the control thread (one context switch
  // for about twenty checks instead of one each, the largest cost of checking on a busy host).
  const int64_t slots = std::max<int64_t>(check.interval.count() / kPhaseSlot.count(), 1);
  probe->first_delay = kPhaseSlot * std::uniform_int_distribution<int64_t>(0, slots - 1)(random_);
  asio::ssl::context* tls = spec.protocol == config::HealthProtocol::https ? &tls_context() : nullptr;
  // Slot-aligned start times: the phase stays on its slot however late a wake-up is.
  const auto since_epoch = std::chrono::steady_clock::now().time_since_epoch();
  const auto slot_start = (since_epoch / kPhaseSlot + 1) * kPhaseSlot;
  const auto first_due = std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(slot_start + probe->first_delay));
  if (spec.protocol == config::HealthProtocol::tcp) {
    probe->tcp_check = tcp_checks_.add(spec.address, probe->interval, spec.timeout, first_due,
                                       [this, probe](CheckOutcome outcome) { on_check(*probe, std::move(outcome)); });
    return probe;
  }

  asio::co_spawn(
      loop_,
      [this, probe, tls, first_due]() -> asio::awaitable<void> {
        auto due = first_due;
        probe->timer.expires_at(due);
        co_await probe->timer.async_wait(use_tuple);
        while (!probe->stopped) {
          // The next check is not started before this one ends: one in flight per target.
          CheckOutcome outcome = co_await run_check(probe->spec, tls, probe->timer, probe->connection);
          if (probe->stopped) break;
          on_check(*probe, std::move(outcome));
          const auto now = std::chrono::steady_clock::now();
          do due += probe->interval;
          while (due <= now);
          probe->timer.expires_at(due);
          co_await probe->timer.async_wait(use_tuple);
        }
      },
      asio::detached);
  return probe;
}

void HealthMonitor::sync_probes(const upstream::Snapshot& snapshot) {
  std::map<Key, std::unique_ptr<Watched>> next;
  std::vector<GroupWatch> groups;
  for (const auto& group : snapshot.groups) {
    if (!group.used) continue;  // unused groups are not checked (their targets show `unused`)
    const auto& check = group.config->health_check;
    GroupWatch group_watch{&group.config->outlier_detection, {}};
    for (const auto& target : group.targets) {
      Key key{group.name(), target.address_text};
      std::unique_ptr<Watched> owned;
      if (auto it = watched_.find(key); it != watched_.end()) {
        owned = std::move(it->second);
        watched_.erase(it);
      } else {
        owned = std::make_unique<Watched>();
        owned->key = key;
      }
      Watched& watched = *owned;
      watched.counters = target.counters;
      watched.outcomes = target.outcomes;
      watched.published = target.status;
      watched.outlier = &group.config->outlier_detection;
      watched.sources_dirty = true;  // checks or outlier detection may have been switched on or off
      const bool was_checked = watched.checked;
      watched.checked = check.enabled;
      const std::string fingerprint = check.enabled ? fingerprint_of(check, target.address_text) : "";
      if (fingerprint != watched.fingerprint) {
        for (auto* probe : {&watched.probe, &watched.agent_probe}) {
          if (*probe) {
            stop_probe(**probe);
            probe->reset();
          }
        }
        watched.fingerprint = fingerprint;
        if (!check.enabled) watched.agent = AgentWord::none;
      }
      // New thresholds apply from now on; the verdict so far stands.
      Verdict verdict = was_checked ? watched.rise_fall.verdict() : Verdict::initial;
      watched.rise_fall = RiseFall(check.healthy_threshold, check.unhealthy_threshold);
      if (verdict != Verdict::initial) watched.rise_fall.record(verdict == Verdict::healthy);
      if (check.enabled && !watched.probe) {
        watched.probe = start_probe(watched, *group.config, target, false);
        if (check.agent_port && check.protocol != config::HealthProtocol::agent) {
          watched.agent_probe = start_probe(watched, *group.config, target, true);
        }
      }
      group_watch.targets.push_back(owned.get());
      recompute(watched);
      next.emplace(std::move(key), std::move(owned));
    }
    groups.push_back(std::move(group_watch));
  }
  // Whatever is left is no longer checked: removed, or its group became unused.
  for (auto& [key, watched] : watched_) {
    for (auto* probe : {&watched->probe, &watched->agent_probe}) {
      if (*probe) stop_probe(**probe);
    }
  }
  watched_ = std::move(next);
  groups_ = std::move(groups);
}

void HealthMonitor::stop_probe(Probe& probe) {
  probe.stopped = true;
  probe.timer.cancel();
  if (probe.tcp_check != 0) tcp_checks_.remove(probe.tcp_check);
  probe.tcp_check = 0;
}

void HealthMonitor::on_check(Probe& probe, CheckOutcome outcome) {
  Watched& watched = *probe.watched;

  if (outcome.agent) {
    const AgentReply& reply = *outcome.agent;
    if (auto load = reply.load_permille()) {
      watched.counters->reported_load_permille.store(*load, std::memory_order_relaxed);
      watched.counters->load_reported_at_ms.store(core::now_ms(), std::memory_order_relaxed);
    }
    if (reply.state != AgentWord::none) {
      watched.agent = reply.state;
      watched.agent_comment = reply.comment;
    }
    if (reply.state == AgentWord::down && !probe.agent_aux) {
      outcome.ok = false;
      outcome.reason_code = "Target.AgentDown";
      outcome.reason = "agent says down" + (reply.comment.empty() ? "" : ": " + reply.comment);
    }
  }
  if (probe.agent_aux) {
    // Beside another check the agent only adds its word and load; an agent that does not
    // answer changes nothing (HAProxy does the same).
    if (!outcome.ok) {
      core::LogLine(core::LogLevel::debug, "health.agent_unreachable")
          .field("group", watched.key.first)
          .field("target", watched.key.second)
          .field("reason", outcome.reason)
          .emit();
    }
  } else if (const Verdict before = watched.rise_fall.verdict(); watched.rise_fall.record(outcome.ok)) {
    if (outcome.ok) {
      watched.verdict_code = "Elb.HealthChecksPassed";
      watched.verdict_reason =
          (before == Verdict::initial ? "first check passed (" : "checks passed in a row (") + outcome.reason + ")";
    } else {
      watched.verdict_code = outcome.reason_code;
      watched.verdict_reason = outcome.reason;
    }
    watched.verdict_since_unix_ms = upstream::unix_now_ms();
    watched.returned_reason.clear();
    watched.sources_dirty = true;
    const int64_t now = core::now_ms();
    const int64_t left_ms = watched.ejection.until_ms - now;
    if (end_on_recovery(watched.ejection, *watched.outlier, before, watched.rise_fall.verdict(), now) ==
        EjectionEvent::cleared) {
      // Failures counted while it was out (connections already open) must not eject it again at once.
      watched.outcomes->consecutive_failures.store(0, std::memory_order_relaxed);
      const std::string early = seconds_text(std::max<int64_t>((left_ms + 500) / 1000, 0) * 1000);
      watched.passive_code = "Target.EjectionCleared";
      watched.passive_reason = "cleared " + early + " early by an active recovery: " + watched.verdict_reason;
      watched.passive_since_unix_ms = upstream::unix_now_ms();
      watched.returned_code = watched.verdict_code;
      watched.returned_reason = watched.verdict_reason + "; this recovery cleared the outlier ejection " + early + " early";
      recompute(watched);
      log_passive_unless_shown(watched, "cleared", watched.returned_reason);
      return;
    }
  }
  recompute(watched);
}

void HealthMonitor::recompute(Watched& watched) {
  using upstream::TargetState;
  // Decided on views first: a check that changes nothing (nearly all of them) costs no
  // allocation and no registry lookup.
  TargetState state = TargetState::healthy;
  std::string_view code, reason;
  std::string owned_reason;
  const Verdict verdict = watched.checked ? watched.rise_fall.verdict() : Verdict::healthy;
  auto agent_reason = [&](const char* word) {
    owned_reason = std::string("agent says ") + word + (watched.agent_comment.empty() ? "" : ": " + watched.agent_comment);
    return std::string_view(owned_reason);
  };
  if (watched.agent == AgentWord::drain) {
    state = TargetState::draining, code = "Target.AgentDrain", reason = agent_reason("drain");
  } else if (watched.agent == AgentWord::maint) {
    state = TargetState::draining, code = "Target.AgentMaintenance", reason = agent_reason("maint");
  } else if (verdict == Verdict::unhealthy) {
    state = TargetState::unhealthy, code = watched.verdict_code, reason = watched.verdict_reason;
  } else if (watched.agent == AgentWord::down) {
    state = TargetState::unhealthy, code = "Target.AgentDown", reason = agent_reason("down");
  } else if (watched.ejection.ejected) {
    state = TargetState::unhealthy, code = "Target.OutlierEjected", reason = watched.passive_reason;
  } else if (verdict == Verdict::initial) {
    state = TargetState::initial, code = "Elb.InitialHealthChecking", reason = "waiting for the first health check";
  } else if (!watched.returned_reason.empty()) {
    code = watched.returned_code, reason = watched.returned_reason;
  } else if (watched.checked) {
    code = watched.verdict_code, reason = watched.verdict_reason;
  } else {
    code = "Target.HealthCheckDisabled", reason = "no health_check for this group: healthy unless ejected on traffic";
  }
  push_sources(watched);
  const auto& published = watched.published;
  if (published.state == state && published.reason_code == code && published.reason == reason) return;
  upstream::TargetStatus next = status(state, std::string(code), std::string(reason));
  if (registry_.set_status(watched.key.first, watched.key.second, next, core::now_ms())) schedule_publish();
  if (const auto* now = registry_.status(watched.key.first, watched.key.second)) watched.published = *now;
}

void HealthMonitor::push_sources(Watched& watched) {
  if (!watched.sources_dirty) return;
  watched.sources_dirty = false;
  upstream::HealthSources sources;
  auto& active = sources.active;
  active.since_unix_ms = watched.verdict_since_unix_ms;
  if (!watched.checked) {
    active.state = upstream::ActiveState::disabled;
    active.reason_code = "Target.HealthCheckDisabled";
    active.reason = "no health_check for this group";
  } else if (watched.rise_fall.verdict() == Verdict::initial) {
    active.state = upstream::ActiveState::initial;
    active.reason_code = "Elb.InitialHealthChecking";
    active.reason = "waiting for the first health check";
  } else {
    active.state = watched.rise_fall.verdict() == Verdict::healthy ? upstream::ActiveState::healthy
                                                                   : upstream::ActiveState::unhealthy;
    active.reason_code = watched.verdict_code;
    active.reason = watched.verdict_reason;
  }
  auto& passive = sources.passive;
  passive.enabled = watched.outlier != nullptr && watched.outlier->enabled;
  passive.ejected = watched.ejection.ejected;
  passive.reason_code = watched.passive_code;
  passive.reason = watched.passive_reason;
  passive.since_unix_ms = watched.passive_since_unix_ms;
  passive.until_unix_ms = watched.ejection.ejected ? watched.ejected_until_unix_ms : 0;
  passive.ejections = watched.ejection.ejections;
  registry_.set_sources(watched.key.first, watched.key.second, std::move(sources));
}

void HealthMonitor::log_passive_unless_shown(const Watched& watched, const char* event,
                                             const std::string& status_reason) {
  // The status shows one source at a time: an ejection of a target whose checks already fail
  // (or that an agent or an operator drains) changes nothing there, so it gets its own line.
  if (watched.published.reason == status_reason) return;  // its health.transition line says it
  core::LogLine(watched.ejection.ejected ? core::LogLevel::warn : core::LogLevel::info, "health.passive")
      .field("group", watched.key.first)
      .field("target", watched.key.second)
      .field("event", event)
      .field("code", watched.passive_code)
      .field("reason", watched.passive_reason)
      .field("state", upstream::to_string(watched.published.state))
      .field("state_code", watched.published.reason_code)
      .emit();
}

void HealthMonitor::schedule_tick() {
  if (stopped_) return;
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    tick();
    schedule_tick();
  });
}

void HealthMonitor::wait_for_doorbell() {
  doorbell_wait_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    uint64_t rings = 0;  // reading resets the eventfd's counter
    [[maybe_unused]] const ssize_t n = ::read(doorbell_wait_.native_handle(), &rings, sizeof rings);
    tick();  // the regular tick goes on as scheduled; an extra one changes nothing else
    wait_for_doorbell();
  });
}

void HealthMonitor::tick() {
  const int64_t now = core::now_ms();
  // Passive detection: failures in a row on real traffic, group by group (the cap is per group).
  for (const auto& group : groups_) {
    const auto& settings = *group.settings;
    if (!settings.enabled) continue;
    size_t ejected = 0;
    for (const Watched* watched : group.targets) ejected += watched->ejection.ejected ? 1 : 0;
    for (Watched* watched_pointer : group.targets) {
      Watched& watched = *watched_pointer;
      auto& outcomes = *watched.outcomes;
      const uint32_t streak = outcomes.consecutive_failures.load(std::memory_order_relaxed);
      const uint32_t multiplier = watched.ejection.ejections;
      const EjectionEvent event = step_ejection(watched.ejection, settings, streak, ejected, group.targets.size(), now);
      if (watched.ejection.ejections != multiplier) watched.sources_dirty = true;  // forgiven, or one more
      switch (event) {
        case EjectionEvent::none:
        case EjectionEvent::cleared:  // only active checks clear (on_check)
          push_sources(watched);
          break;
        case EjectionEvent::ejected: {
          ++ejected;
          outcomes.consecutive_failures.store(0, std::memory_order_relaxed);
          auto last = static_cast<upstream::TrafficFailure>(outcomes.last_failure.load(std::memory_order_relaxed));
          watched.passive_code = "Target.OutlierEjected";
          watched.passive_reason = std::to_string(streak) + " failures in a row on traffic (last: " +
                                   upstream::describe(last) + "); ejected for " +
                                   seconds_text(watched.ejection.until_ms - now) + " (ejection " +
                                   std::to_string(watched.ejection.ejections) + ")";
          watched.passive_since_unix_ms = upstream::unix_now_ms();
          watched.ejected_until_unix_ms = watched.passive_since_unix_ms + (watched.ejection.until_ms - now);
          watched.returned_reason.clear();
          watched.sources_dirty = true;
          recompute(watched);
          log_passive_unless_shown(watched, "ejected", watched.passive_reason);
          break;
        }
        case EjectionEvent::returned:
          --ejected;
          watched.returned_code = "Target.EjectionEnded";
          watched.returned_reason = "back after an ejection of " +
                                    seconds_text(settings.base_ejection_time.count() * watched.ejection.ejections);
          watched.passive_code = watched.returned_code;
          watched.passive_reason = watched.returned_reason;
          watched.passive_since_unix_ms = upstream::unix_now_ms();
          watched.sources_dirty = true;
          // Failures counted while it was out (connections already open) must not eject it again at once.
          outcomes.consecutive_failures.store(0, std::memory_order_relaxed);
          recompute(watched);
          log_passive_unless_shown(watched, "returned", watched.returned_reason);
          break;
        case EjectionEvent::capped:
          core::LogLine(core::LogLevel::warn, "health.ejection_capped")
              .field("group", watched.key.first)
              .field("target", watched.key.second)
              .field("failures_in_a_row", streak)
              .field("ejected", static_cast<uint64_t>(ejected))
              .field("max_ejection_percent", settings.max_ejection_percent)
              .field("reason", "would be ejected, but max_ejection_percent of the group is ejected already")
              .emit();
          break;
      }
    }
  }
  // Draining targets whose connections ended, or whose delay ran out.
  if (registry_.has_draining()) {
    auto ended = registry_.finish_draining(now);
    for (auto& end : ended) {
      if (end.open_connections > 0) hooks_.close_sessions(end.identity);
      core::LogLine(core::LogLevel::info, "health.deregistered")
          .field("group", end.group)
          .field("target", end.address)
          .field("closed_connections", static_cast<uint64_t>(end.open_connections))
          .field("reason", end.open_connections > 0 ? "deregistration_delay ran out: open connections closed"
                                                    : "no open connection left")
          .emit();
    }
    if (!ended.empty()) schedule_publish();
  }
}

void HealthMonitor::schedule_publish() {
  if (publish_pending_ || stopped_) return;
  publish_pending_ = true;
  publish_timer_.expires_after(kPublishCoalesce);
  publish_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    publish_pending_ = false;
    registry_.rebuild(core::now_ms());
    publish_now();
  });
}

void HealthMonitor::publish_now() {
  auto snapshot = registry_.last();
  // Published first: by the time a person (or a test) reads a transition, the workers have it
  // in their queues.
  hooks_.publish(snapshot);
  log_transitions();
  log_open_episodes(*snapshot);
}

void HealthMonitor::log_transitions() {
  for (const auto& transition : registry_.take_transitions()) {
    const bool worse = transition.to.state == upstream::TargetState::unhealthy;
    // Both sources beside the one that decided (their reasons are in the admin API).
    const auto* sources = registry_.sources(transition.group, transition.address);
    const char* active = sources != nullptr ? upstream::to_string(sources->active.state) : "-";
    const char* passive = sources == nullptr            ? "-"
                          : !sources->passive.enabled   ? "disabled"
                          : sources->passive.ejected    ? "ejected"
                                                        : "not_ejected";
    core::LogLine(worse ? core::LogLevel::warn : core::LogLevel::info, "health.transition")
        .field("group", transition.group)
        .field("target", transition.address)
        .field("from", upstream::to_string(transition.from))
        .field("to", upstream::to_string(transition.to.state))
        .field("code", transition.to.reason_code)
        .field("reason", transition.to.reason)
        .field("active", active)
        .field("passive", passive)
        .emit();
  }
}

void HealthMonitor::log_open_episodes(const upstream::Snapshot& snapshot) {
  for (const auto& group : snapshot.groups) {
    if (!group.used || group.targets.empty()) continue;
    size_t unhealthy = 0;
    for (const auto& target : group.targets) unhealthy += target.status.state == upstream::TargetState::unhealthy;
    // An episode starts when failures (not just start-up's waiting for first checks) leave
    // the group without a healthy target.
    OpenEpisode now = OpenEpisode::none;
    if (group.pickers->targets().eligible.empty() && unhealthy > 0) now = OpenEpisode::failing_closed;
    if (group.failing_open && unhealthy > 0) now = OpenEpisode::failing_open;
    OpenEpisode& before = episodes_[group.name()];
    if (now == before) continue;
    if (now == OpenEpisode::failing_open) {
      core::LogLine(core::LogLevel::warn, "health.fail_open")
          .field("group", group.name())
          .field("targets", static_cast<uint64_t>(group.pickers->targets().eligible.size()))
          .field("reason", "no healthy target: sending to every target (fail_open)")
          .emit();
    } else if (now == OpenEpisode::failing_closed) {
      core::LogLine(core::LogLevel::error, "health.no_healthy_target")
          .field("group", group.name())
          .field("reason", group.config->fail_open ? "no target may take traffic"
                                                   : "no healthy target: new connections are refused (fail_open: false)")
          .emit();
    } else {
      core::LogLine(core::LogLevel::info, "health.healthy_again")
          .field("group", group.name())
          .field("reason", "a healthy target is back: traffic goes to healthy targets only")
          .emit();
    }
    before = now;
  }
}

}  // namespace fulcrum::health
