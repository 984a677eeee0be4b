#pragma once
// One followed name: a `dns:` name (its A and AAAA queries, as `resolver.prefer` says) or an
// `srv:` name (its SRV query, plus A/AAAA queries for the SRV targets the answer's additional
// section does not resolve). Pure, like RecordHold: the service (discovery_service.hpp) sends
// the queries it asks for and feeds back what came; this class turns them into addresses.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/endpoint.hpp"
#include "discovery/record_hold.hpp"

namespace fulcrum::discovery {

// One address a name gives now. For `dns:` names the port is 0 (the entry gives it) and weight
// and priority are 0; for `srv:` names they come from the SRV record.
struct FoundAddress {
  core::Endpoint address;
  uint16_t srv_weight = 0;
  uint16_t srv_priority = 0;
  bool operator==(const FoundAddress& other) const {
    return address == other.address && srv_weight == other.srv_weight && srv_priority == other.srv_priority;
  }
};

struct QueryKey {
  std::string name;
  uint16_t type = 0;
  auto operator<=>(const QueryKey&) const = default;
};

class NameWatch {
 public:
  NameWatch(config::DiscoveryKind kind, std::string name, config::AddressPreference prefer);

  config::DiscoveryKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  std::string origin() const { return (kind_ == config::DiscoveryKind::srv ? "srv:" : "dns:") + name_; }

  // The queries due at `now_ms` (each is asked once until its result comes back).
  std::vector<QueryKey> due(int64_t now_ms);
  // The earliest time a query will be due (INT64_MAX: none, e.g. every query in flight).
  int64_t next_due_ms() const;
  // A query's result: `status` is c-ares's, `answer` the raw response. Returns true when the
  // addresses changed. Log lines (malformed answers, clamped TTLs) go out from here.
  bool on_result(const QueryKey& key, int status, const std::vector<uint8_t>& answer, int64_t now_ms,
                 const config::ResolverConfig& resolver);

  // A reload changed resolver.prefer: queries of a family no longer wanted go (with their
  // addresses), those of a newly wanted one are due at once; the others keep their state.
  void set_prefer(config::AddressPreference prefer);
  // A reload lowered max_ttl: no query waits longer than `ms`.
  void limit_next_query(int64_t ms) {
    for (auto& [key, query] : queries_) query.hold.limit_next_query(ms);
  }
  // The resolver was replaced: queries sent on the old one will never answer.
  void forget_in_flight() {
    for (auto& [key, query] : queries_) query.in_flight = false;
  }

  const std::vector<FoundAddress>& addresses() const { return addresses_; }
  bool ever_resolved() const;
  // Every query of the name has had a result (an answer or a failure) at least once.
  bool settled() const;
  // "" when every query of the name answers; else what fails, since when, what is kept.
  std::string problem() const;

 private:
  struct Query {
    RecordHold hold;
    bool in_flight = false;
    std::string logged_why;  // the failure last logged ("" while it answers)
    bool had_result = false;
  };
  std::vector<FoundAddress> compute() const;
  // The SRV targets whose addresses the SRV answer's additional section does not give: each
  // needs its own A/AAAA queries.
  void sync_target_queries();
  bool wants(uint16_t type) const;
  // The name of `key` has addresses of the other family now (its own query, or an SRV answer's
  // additional section).
  bool has_other_family(const QueryKey& key) const;

  config::DiscoveryKind kind_;
  std::string name_;
  config::AddressPreference prefer_;
  std::map<QueryKey, Query> queries_;
  std::vector<FoundAddress> addresses_;
};

}  // namespace fulcrum::discovery
