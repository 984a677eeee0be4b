#pragma once
// Follows the `dns:` and `srv:` names of the configuration on the control thread: sends each
// name's queries through c-ares when they are due (at the records' TTL, clamped), feeds the
// answers to the NameWatch of the name, and calls `on_change` (posted, once per loop turn) when
// some name's addresses changed, so that the server rebuilds the configuration it serves
// (expand) and publishes one snapshot. An answer identical to the last one changes nothing.
//
// A name followed by several groups is asked once. Across reloads a name keeps its state (its
// addresses, holds and next query), so a reload never empties a group while it asks again.
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "discovery/ares_resolver.hpp"
#include "discovery/expand_targets.hpp"
#include "discovery/name_watch.hpp"

namespace fulcrum::discovery {

class DiscoveryService {
 public:
  DiscoveryService(asio::io_context& loop, std::function<void()> on_change);
  ~DiscoveryService();

  // Checks that c-ares starts with the `resolver:` settings of `config` (and keeps that
  // resolver for apply), without changing anything: the reload's step that may fail.
  bool prepare(const config::Config& config, std::string& error);
  // Follows the names `config` lists, and only those. Fails (nothing changes) when c-ares cannot
  // start with the `resolver:` settings.
  bool apply(const config::Config& config, std::string& error);
  // `file` with the addresses the names give now (expand_targets.hpp); duplicates are logged
  // when they first appear.
  config::Config expand(const config::Config& file);
  void stop();
  bool following() const { return !watches_.empty(); }
  // Every followed name has had its first results (answers or failures).
  bool settled() const;

  // For the admin API and the dashboard: every followed name.
  struct NameView {
    std::string origin;  // "dns:NAME" or "srv:NAME"
    size_t addresses = 0;
    bool resolved = false;  // some query of it answered once
    std::string problem;    // "" when it answers
    int64_t next_query_in_ms = 0;
  };
  std::vector<NameView> names() const;
  // Queries sent, answers that changed a name and a line per followed name, for GET /metrics.
  std::string prometheus_text() const;

 private:
  using Key = std::pair<config::DiscoveryKind, std::string>;
  void send_due();
  void schedule();
  void on_result(const Key& key, const QueryKey& query, QueryResult result);

  asio::io_context& loop_;
  std::function<void()> on_change_;
  std::unique_ptr<AresResolver> resolver_;
  config::ResolverConfig resolver_config_;
  std::unique_ptr<AresResolver> prepared_;  // by prepare(), for apply()
  config::ResolverConfig prepared_for_;
  std::map<Key, std::unique_ptr<NameWatch>> watches_;
  asio::steady_timer timer_;
  int64_t timer_due_ms_ = INT64_MAX;
  bool change_posted_ = false;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::vector<std::string> duplicates_logged_;
  uint64_t queries_sent_ = 0;
  uint64_t changes_ = 0;
};

}  // namespace fulcrum::discovery
