#include "http/session/http_worker.hpp"

#include <random>

#include "core/coroutine_frame_cache.hpp"
#include "core/log.hpp"
#include "http/h1/parser_limits.hpp"
#include "http/session/h2_connection.hpp"

namespace fulcrum::http {

HttpWorker::HttpWorker(upstream::WorkerHome& home) : ExchangeWorker(home) {
  std::random_device random;
  request_id_prefix = (static_cast<uint64_t>(random()) << 32) ^ random();
  deadlines.set_tick_hook(
      [](void* argument, int64_t now) {
        auto* self = static_cast<HttpWorker*>(argument);
        self->pool.sweep(now);
        self->parking.tick(now, self->draining);
        H2Connection::tick_all(*self, now, self->draining);
        // Frames a burst left: freed once a second has passed without them (the tick goes on
        // until then; an idle worker with none sleeps).
        const bool frames_over_budget = core::coroutine_frames_over_budget();
        if (frames_over_budget && now >= self->next_frame_release_ms) {
          core::release_unused_coroutine_frames();
          self->next_frame_release_ms = now + 1000;
        }
        return !self->pool.empty() || self->parking.needs_tick() || frames_over_budget;
      },
      this);
}

void HttpWorker::install(std::shared_ptr<const upstream::Snapshot> snapshot) {
  uint32_t most_headers = 100;
  std::vector<ListenerRoutes> next;
  next.reserve(snapshot->config->listeners.size());
  for (const auto& listener : snapshot->config->listeners) {
    next.emplace_back(*snapshot, listener);
    most_headers = std::max(most_headers, listener.max_headers);
  }
  // Responses are parsed with the same array; one more than the limit lets the parser see it.
  if (header_scratch.size() < most_headers + 1) header_scratch.resize(most_headers + 1);
  routes = std::move(next);
  if (guards != nullptr) listener_guards = guards->for_config(snapshot->config);
  if (waf_config != snapshot->config.get()) {
    std::vector<std::unique_ptr<security::WafRules>> rules;
    for (const auto& listener : snapshot->config->listeners) {
      const auto& security = listener.security;
      if (security.waf_default_rules || !security.waf.empty()) {
        rules.push_back(std::make_unique<security::WafRules>(security));
      } else {
        rules.emplace_back();
      }
    }
    waf = std::move(rules);
    waf_config = snapshot->config.get();
  }
  std::vector<std::optional<StickyCookie>> signers;
  for (const auto& group : snapshot->groups) {
    if (group.config->stickiness.type == config::StickinessType::none) {
      signers.emplace_back();
      continue;
    }
    std::string error;
    signers.emplace_back(sticky_secret(group.config->stickiness, error));
    if (!error.empty() && worker.index() == 0) {
      core::LogLine(core::LogLevel::error, "http.sticky_secret").field("group", group.name()).field("error", error).emit();
    }
  }
  sticky = std::move(signers);
  set_target_tls(target_tls_by_name);
  // A reload (a new configuration, not a health change): HTTP/2 clients get GOAWAY and open new
  // connections, which take the new listener settings, as after nginx's and HAProxy's reloads;
  // their streams under way finish.
  if (h2_config != nullptr && h2_config != snapshot->config.get()) H2Connection::shut_down_all(*this);
  h2_config = snapshot->config.get();
  deadlines.start();  // once: later calls find it running
}

void HttpWorker::set_target_tls(std::shared_ptr<const tls::TargetContexts> by_name) {
  target_tls_by_name = std::move(by_name);
  const auto& snapshot = upstreams.snapshot();
  target_tls.assign(snapshot ? snapshot->groups.size() : 0, nullptr);
  if (!snapshot || !target_tls_by_name) return;
  for (size_t i = 0; i < snapshot->groups.size(); ++i) {
    if (snapshot->groups[i].config->protocol != config::TargetProtocol::https) continue;
    if (auto it = target_tls_by_name->find(snapshot->groups[i].name()); it != target_tls_by_name->end()) {
      target_tls[i] = it->second;
    }
  }
}

void HttpWorker::close_target(const upstream::TrafficOutcomes* target) {
  if (!upstreams.snapshot()) return;
  for (const auto& group : upstreams.snapshot()->groups) {
    for (const auto& info : group.targets) {
      if (info.outcomes.get() == target) pool.drop(info.counters.get());
    }
  }
}

void HttpWorker::release_io() {
  deadlines.stop();
  pool.clear();
  parking.close();
}

}  // namespace fulcrum::http
