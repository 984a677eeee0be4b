#include "discovery/discovery_service.hpp"

#include <asio/post.hpp>

#include <algorithm>
#include <climits>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace fulcrum::discovery {

DiscoveryService::DiscoveryService(asio::io_context& loop, std::function<void()> on_change)
    : loop_(loop), on_change_(std::move(on_change)), timer_(loop) {}

DiscoveryService::~DiscoveryService() { stop(); }

void DiscoveryService::stop() {
  if (stopped_) return;
  stopped_ = true;
  *alive_ = false;
  timer_.cancel();
  resolver_.reset();
}

namespace {

bool follows_names(const config::Config& config) {
  return std::any_of(config.target_groups.begin(), config.target_groups.end(),
                     [](const config::TargetGroupConfig& group) { return !group.discovered.empty(); });
}

}  // namespace

bool DiscoveryService::prepare(const config::Config& config, std::string& error) {
  prepared_.reset();
  if (!follows_names(config) || (resolver_ && config.resolver == resolver_config_)) return true;
  prepared_ = AresResolver::create(loop_, config.resolver, error);
  prepared_for_ = config.resolver;
  return prepared_ != nullptr;
}

bool DiscoveryService::apply(const config::Config& config, std::string& error) {
  const bool any = follows_names(config);
  // The resolver first: when c-ares cannot start with the new settings, nothing changes.
  std::unique_ptr<AresResolver> fresh;
  if (any && (!resolver_ || !(config.resolver == resolver_config_))) {
    if (prepared_ && prepared_for_ == config.resolver) {
      fresh = std::move(prepared_);
    } else {
      fresh = AresResolver::create(loop_, config.resolver, error);
      if (!fresh) return false;
    }
  }
  prepared_.reset();
  std::map<Key, std::unique_ptr<NameWatch>> next;
  for (const auto& group : config.target_groups) {
    for (const auto& entry : group.discovered) {
      Key key{entry.kind, entry.name};
      if (next.count(key)) continue;
      auto it = watches_.find(key);
      if (it != watches_.end()) {
        // A name keeps its addresses and holds across reloads; a new preference only changes
        // which of its queries it asks from now on.
        it->second->set_prefer(config.resolver.prefer);
        it->second->limit_next_query(core::now_ms() + config.resolver.max_ttl.count());
        next[key] = std::move(it->second);
      } else {
        next[key] = std::make_unique<NameWatch>(entry.kind, entry.name, config.resolver.prefer);
      }
    }
  }
  resolver_config_ = config.resolver;
  watches_ = std::move(next);
  if (!any) {
    resolver_.reset();
    timer_.cancel();
    timer_due_ms_ = INT64_MAX;
    return true;
  }
  if (fresh) {
    // Queries in flight on the old resolver end unanswered: their names ask again now.
    for (auto& [key, watch] : watches_) watch->forget_in_flight();
    resolver_ = std::move(fresh);
    std::string servers;
    for (const auto& server : resolver_->nameservers()) servers += (servers.empty() ? "" : " ") + server;
    core::LogLine(core::LogLevel::info, "discovery.resolver")
        .field("nameservers", servers.empty() ? std::string("none") : servers)
        .field("timeout_ms", static_cast<int64_t>(config.resolver.timeout.count()))
        .field("names", static_cast<uint64_t>(watches_.size()))
        .emit();
  }
  // The earliest due time may have moved earlier (max_ttl lowered, new names).
  timer_.cancel();
  timer_due_ms_ = INT64_MAX;
  send_due();
  return true;
}

config::Config DiscoveryService::expand(const config::Config& file) {
  std::vector<DuplicateTarget> duplicates;
  config::Config out = expand_targets(
      file,
      [&](const config::DiscoveredTargets& entry) -> const std::vector<FoundAddress>* {
        auto it = watches_.find(Key{entry.kind, entry.name});
        return it == watches_.end() ? nullptr : &it->second->addresses();
      },
      &duplicates);
  std::vector<std::string> now;
  for (const auto& d : duplicates) {
    std::string id = d.group + " " + d.address + " " + d.origin;
    if (std::find(duplicates_logged_.begin(), duplicates_logged_.end(), id) == duplicates_logged_.end()) {
      core::LogLine(core::LogLevel::info, "discovery.duplicate_target")
          .field("group", d.group)
          .field("target", d.address)
          .field("origin", d.origin)
          .field("kept", d.kept)
          .field("why", "an address defined twice is one target: the first definition wins")
          .emit();
    }
    now.push_back(std::move(id));
  }
  duplicates_logged_ = std::move(now);
  return out;
}

void DiscoveryService::send_due() {
  if (stopped_ || !resolver_) return;
  const int64_t now = core::now_ms();
  for (auto& [key, watch] : watches_) {
    for (auto& query : watch->due(now)) {
      ++queries_sent_;
      resolver_->query(query.name, query.type,
                       [this, alive = alive_, key = key, query](QueryResult result) {
                         if (*alive) on_result(key, query, std::move(result));
                       });
    }
  }
  schedule();
}

void DiscoveryService::schedule() {
  int64_t next = INT64_MAX;
  for (const auto& [key, watch] : watches_) next = std::min(next, watch->next_due_ms());
  if (next == INT64_MAX || next == timer_due_ms_) return;
  timer_due_ms_ = next;
  timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(next - core::now_ms(), 0)));
  timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (ec || !*alive) return;
    timer_due_ms_ = INT64_MAX;
    send_due();
  });
}

void DiscoveryService::on_result(const Key& key, const QueryKey& query, QueryResult result) {
  auto it = watches_.find(key);
  if (it == watches_.end()) return;  // no longer followed (a reload removed it)
  if (it->second->on_result(query, result.status, result.answer, core::now_ms(), resolver_config_)) {
    ++changes_;
    if (!change_posted_) {
      // Answers that arrive together (a name's A and AAAA, 200 names at one TTL) make one
      // snapshot, not one each.
      change_posted_ = true;
      asio::post(loop_, [this, alive = alive_] {
        if (!*alive) return;
        change_posted_ = false;
        on_change_();
      });
    }
  }
  send_due();  // an SRV answer may have added target queries due now
}

std::vector<DiscoveryService::NameView> DiscoveryService::names() const {
  std::vector<NameView> out;
  const int64_t now = core::now_ms();
  for (const auto& [key, watch] : watches_) {
    const int64_t next = watch->next_due_ms();
    out.push_back(NameView{watch->origin(), watch->addresses().size(), watch->ever_resolved(), watch->problem(),
                           next == INT64_MAX ? 0 : std::max<int64_t>(next - now, 0)});
  }
  return out;
}

bool DiscoveryService::settled() const {
  return std::all_of(watches_.begin(), watches_.end(), [](const auto& w) { return w.second->settled(); });
}

std::string DiscoveryService::prometheus_text() const {
  // Origins are DNS names as the loader normalized them ([a-z0-9._-]): nothing to escape.
  std::string out =
      "# HELP fulcrum_discovery_queries_total DNS queries sent to follow dns: and srv: targets.\n"
      "# TYPE fulcrum_discovery_queries_total counter\n"
      "fulcrum_discovery_queries_total " + std::to_string(queries_sent_) + "\n"
      "# HELP fulcrum_discovery_changes_total Answers that changed the addresses of a followed name.\n"
      "# TYPE fulcrum_discovery_changes_total counter\n"
      "fulcrum_discovery_changes_total " + std::to_string(changes_) + "\n";
  const auto views = names();
  if (views.empty()) return out;
  out += "# HELP fulcrum_discovery_addresses Addresses a followed name gives now.\n"
         "# TYPE fulcrum_discovery_addresses gauge\n";
  for (const auto& v : views) {
    out += "fulcrum_discovery_addresses{origin=\"" + v.origin + "\"} " + std::to_string(v.addresses) + "\n";
  }
  out += "# HELP fulcrum_discovery_failing 1 while some query of the name fails (timeout, SERVFAIL, NXDOMAIN, "
         "malformed answer), else 0.\n"
         "# TYPE fulcrum_discovery_failing gauge\n";
  for (const auto& v : views) {
    out += "fulcrum_discovery_failing{origin=\"" + v.origin + "\"} " + (v.problem.empty() ? "0" : "1") + "\n";
  }
  return out;
}

}  // namespace fulcrum::discovery
