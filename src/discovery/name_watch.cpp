#include "discovery/name_watch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>

#include "core/log.hpp"
#include "discovery/ares_resolver.hpp"

namespace fulcrum::discovery {
namespace {

const char* type_name(uint16_t type) {
  switch (type) {
    case dns::kTypeA: return "A";
    case dns::kTypeAaaa: return "AAAA";
    case dns::kTypeSrv: return "SRV";
  }
  return "?";
}

core::Endpoint endpoint_of(const dns::Address& address, uint16_t port) {
  return core::make_endpoint(address.length == 4 ? AF_INET : AF_INET6, address.bytes.data(), port);
}

bool is_address_type(uint16_t type) { return type == dns::kTypeA || type == dns::kTypeAaaa; }
bool is_address(const dns::ResourceRecord& r) { return is_address_type(r.type); }

// What a query's result means for its RecordHold.
struct Reading {
  RecordHold::Outcome outcome = RecordHold::Outcome::failure;
  std::vector<dns::ResourceRecord> records;
  std::string why;
  bool nxdomain = false;  // no_records because the name does not exist (not NODATA)
};

Reading read_result(const QueryKey& key, int status, const std::vector<uint8_t>& answer, const std::string& origin) {
  Reading reading;
  if (answer.empty()) {
    switch (status) {
      case ARES_ENOTFOUND: reading = {RecordHold::Outcome::no_records, {}, "NXDOMAIN", true}; break;
      case ARES_ENODATA: reading = {RecordHold::Outcome::no_records, {}, std::string("no ") + type_name(key.type) + " records"}; break;
      case ARES_ETIMEOUT: reading.why = "timeout: no answer from the nameservers"; break;
      case ARES_ESERVFAIL: reading.why = "SERVFAIL"; break;
      case ARES_EREFUSED: reading.why = "REFUSED"; break;
      // c-ares passes over a server that answers SERVFAIL, REFUSED or NOTIMP (to ask the next),
      // and reports the query as ECONNREFUSED when none is left.
      case ARES_ECONNREFUSED:
        reading.why = "every nameserver failed it (SERVFAIL, REFUSED or NOTIMP, or a closed port)";
        break;
      default: reading.why = ares_strerror(status); break;
    }
    return reading;
  }
  dns::Response response;
  if (auto error = dns::decode_response(answer, response); error != dns::ResponseError::none) {
    reading.why = std::string("malformed answer: ") + dns::to_string(error);
    core::LogLine(core::LogLevel::warn, "discovery.malformed_answer")
        .field("origin", origin)
        .field("query", key.name)
        .field("type", type_name(key.type))
        .field("bytes", static_cast<uint64_t>(answer.size()))
        .field("why", dns::to_string(error))
        .field("kept", "the targets stay as they were")
        .emit();
    return reading;
  }
  if (response.raw_rcode == 3) return {RecordHold::Outcome::no_records, {}, "NXDOMAIN", true};
  if (response.raw_rcode != 0) {
    reading.why = response.raw_rcode == 2 ? "SERVFAIL"
                  : response.raw_rcode == 5 ? "REFUSED"
                                            : "rcode " + std::to_string(response.raw_rcode);
    return reading;
  }
  for (auto& record : response.answers) {
    // SRV targets of "." mean "no service here" (RFC 2782).
    if (record.type == key.type && !(record.type == dns::kTypeSrv && record.srv.target.empty())) {
      reading.records.push_back(std::move(record));
    }
  }
  if (reading.records.empty()) return {RecordHold::Outcome::no_records, {}, std::string("no ") + type_name(key.type) + " records"};
  if (key.type == dns::kTypeSrv) {
    for (auto& record : response.additional) {
      if (is_address(record)) reading.records.push_back(std::move(record));
    }
  }
  reading.outcome = RecordHold::Outcome::records;
  return reading;
}

}  // namespace

NameWatch::NameWatch(config::DiscoveryKind kind, std::string name, config::AddressPreference prefer)
    : kind_(kind), name_(std::move(name)), prefer_(prefer) {
  if (kind_ == config::DiscoveryKind::srv) {
    queries_[QueryKey{name_, dns::kTypeSrv}];
  } else {
    if (wants(dns::kTypeA)) queries_[QueryKey{name_, dns::kTypeA}];
    if (wants(dns::kTypeAaaa)) queries_[QueryKey{name_, dns::kTypeAaaa}];
  }
}

bool NameWatch::wants(uint16_t type) const {
  if (type == dns::kTypeA) return prefer_ != config::AddressPreference::ipv6;
  if (type == dns::kTypeAaaa) return prefer_ != config::AddressPreference::ipv4;
  return true;
}

std::vector<QueryKey> NameWatch::due(int64_t now_ms) {
  std::vector<QueryKey> out;
  for (auto& [key, query] : queries_) {
    if (!query.in_flight && query.hold.next_query_ms() <= now_ms) {
      query.in_flight = true;
      out.push_back(key);
    }
  }
  return out;
}

int64_t NameWatch::next_due_ms() const {
  int64_t next = INT64_MAX;
  for (const auto& [key, query] : queries_) {
    if (!query.in_flight) next = std::min(next, query.hold.next_query_ms());
  }
  return next;
}

bool NameWatch::on_result(const QueryKey& key, int status, const std::vector<uint8_t>& answer, int64_t now_ms,
                          const config::ResolverConfig& resolver) {
  auto it = queries_.find(key);
  if (it == queries_.end()) return false;  // an SRV target that left the answer meanwhile
  Query& query = it->second;
  query.in_flight = false;
  query.had_result = true;
  Reading reading = read_result(key, status, answer, origin());
  if (reading.outcome == RecordHold::Outcome::no_records && !reading.nxdomain && is_address_type(key.type)) {
    // NODATA while the same name has addresses of the other family: the name has none of this
    // family now, which is an answer (its records leave at once, hold_obsolete aside), not a
    // name gone away. (NXDOMAIN is a name gone away: hold_nx.)
    if (has_other_family(key)) reading = Reading{RecordHold::Outcome::records, {}, ""};
  }
  const bool was_failing = !query.hold.problem().empty();
  const bool records_changed =
      query.hold.apply(reading.outcome, std::move(reading.records), reading.why, now_ms, resolver);
  if (query.hold.take_clamp_notice()) {
    core::LogLine(core::LogLevel::info, "discovery.ttl_clamped")
        .field("origin", origin())
        .field("query", key.name)
        .field("type", type_name(key.type))
        .field("why", query.hold.clamp_text())
        .emit();
  }
  // One line when a query starts failing or fails for another reason, one when its hold runs
  // out and its records go, one when it answers again: not one per retry. A type the name never
  // had (no AAAA for an IPv4 service) says nothing while the name gives addresses. Copied first:
  // syncing the SRV targets' queries may remove this very query.
  const std::string problem = query.hold.problem();
  const bool ever_answered = query.hold.ever_answered();
  const bool newly_failing = !problem.empty() && (reading.why != query.logged_why || records_changed);
  query.logged_why = problem.empty() ? std::string() : reading.why;
  if (kind_ == config::DiscoveryKind::srv) sync_target_queries();
  auto fresh = compute();
  const bool changed = fresh != addresses_;
  addresses_ = std::move(fresh);
  // An address name's first empty answer while its other family is still being asked says
  // nothing yet: that answer decides whether the name gives no targets at all.
  const bool sibling_pending = kind_ == config::DiscoveryKind::address && !ever_answered &&
                               std::any_of(queries_.begin(), queries_.end(), [&](const auto& q) {
                                 return q.first.type != key.type && q.second.in_flight;
                               });
  const bool worth_saying = (ever_answered || addresses_.empty()) && !sibling_pending;
  if (worth_saying && (problem.empty() ? was_failing : newly_failing)) {
    core::LogLine(problem.empty() ? core::LogLevel::info : core::LogLevel::warn,
                  problem.empty() ? "discovery.resolved_again" : "discovery.resolution_problem")
        .field("origin", origin())
        .field("query", key.name)
        .field("type", type_name(key.type))
        .field("addresses", static_cast<uint64_t>(addresses_.size()))
        .field("why", problem.empty() ? "answers come again" : problem)
        .emit();
  }
  return changed;
}

bool NameWatch::has_other_family(const QueryKey& key) const {
  const uint16_t other = key.type == dns::kTypeA ? dns::kTypeAaaa : dns::kTypeA;
  auto has = [&](const std::vector<dns::ResourceRecord>& records) {
    return std::any_of(records.begin(), records.end(),
                       [&](const dns::ResourceRecord& r) { return r.type == other && r.owner == key.name; });
  };
  auto own = queries_.find(QueryKey{key.name, other});
  if (own != queries_.end() && has(own->second.hold.records())) return true;
  // An SRV target's addresses may come from the SRV answer's additional section.
  auto srv = queries_.find(QueryKey{name_, dns::kTypeSrv});
  return srv != queries_.end() && has(srv->second.hold.records());
}

void NameWatch::sync_target_queries() {
  const auto& srv_records = queries_.at(QueryKey{name_, dns::kTypeSrv}).hold.records();
  std::set<QueryKey> needed;
  for (const auto& record : srv_records) {
    if (record.type != dns::kTypeSrv) continue;
    // The additional section decides when it gives the target an address of a wanted family
    // (an IPv4-only node has no AAAA to ask for); else the target's own queries do.
    const bool in_additional = std::any_of(srv_records.begin(), srv_records.end(), [&](const auto& r) {
      return is_address(r) && wants(r.type) && r.owner == record.srv.target;
    });
    if (in_additional) continue;
    for (uint16_t type : {dns::kTypeA, dns::kTypeAaaa}) {
      if (wants(type)) needed.insert(QueryKey{record.srv.target, type});
    }
  }
  for (auto it = queries_.begin(); it != queries_.end();) {
    const bool own = it->first.name == name_ && it->first.type == dns::kTypeSrv;
    if (!own && needed.count(it->first) == 0) {
      it = queries_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& key : needed) queries_[key];  // new ones are due at once
}

std::vector<FoundAddress> NameWatch::compute() const {
  std::vector<FoundAddress> out;
  auto add = [&](const dns::ResourceRecord& record, uint16_t port, uint16_t weight, uint16_t priority) {
    if (!wants(record.type)) return;
    FoundAddress found{endpoint_of(record.address, port), weight, priority};
    const bool known = std::any_of(out.begin(), out.end(), [&](const FoundAddress& f) { return f.address == found.address; });
    if (!known) out.push_back(found);
  };
  if (kind_ == config::DiscoveryKind::address) {
    for (const auto& [key, query] : queries_) {
      for (const auto& record : query.hold.records()) {
        if (is_address(record)) add(record, 0, 0, 0);
      }
    }
  } else {
    const auto& srv_records = queries_.at(QueryKey{name_, dns::kTypeSrv}).hold.records();
    for (const auto& srv : srv_records) {
      if (srv.type != dns::kTypeSrv) continue;
      // From the additional section when it gives a wanted address, else from the target's
      // own queries (sync_target_queries asks them in exactly that case).
      bool from_additional = false;
      for (const auto& record : srv_records) {
        if (is_address(record) && wants(record.type) && record.owner == srv.srv.target) {
          add(record, srv.srv.port, srv.srv.weight, srv.srv.priority);
          from_additional = true;
        }
      }
      if (from_additional) continue;
      for (uint16_t type : {dns::kTypeA, dns::kTypeAaaa}) {
        auto it = queries_.find(QueryKey{srv.srv.target, type});
        if (it == queries_.end()) continue;
        for (const auto& record : it->second.hold.records()) {
          if (record.type == type) add(record, srv.srv.port, srv.srv.weight, srv.srv.priority);
        }
      }
    }
  }
  // Nameservers rotate the order of records: sorted, an answer that only reorders changes nothing.
  std::sort(out.begin(), out.end(), [](const FoundAddress& a, const FoundAddress& b) {
    if (a.srv_priority != b.srv_priority) return a.srv_priority < b.srv_priority;
    if (a.address.length != b.address.length) return a.address.length < b.address.length;
    return std::memcmp(&a.address.storage, &b.address.storage, a.address.length) < 0;
  });
  return out;
}

bool NameWatch::ever_resolved() const {
  return std::any_of(queries_.begin(), queries_.end(), [](const auto& q) { return q.second.hold.ever_answered(); });
}

void NameWatch::set_prefer(config::AddressPreference prefer) {
  if (prefer == prefer_) return;
  prefer_ = prefer;
  if (kind_ == config::DiscoveryKind::address) {
    for (uint16_t type : {dns::kTypeA, dns::kTypeAaaa}) {
      if (wants(type)) {
        queries_[QueryKey{name_, type}];  // due at once when new
      } else {
        queries_.erase(QueryKey{name_, type});
      }
    }
  } else {
    sync_target_queries();
  }
  addresses_ = compute();
}

bool NameWatch::settled() const {
  return std::all_of(queries_.begin(), queries_.end(), [](const auto& q) { return q.second.had_result; });
}

std::string NameWatch::problem() const {
  std::string out;
  for (const auto& [key, query] : queries_) {
    const std::string& problem = query.hold.problem();
    // A type a name never had (no AAAA for an IPv4-only service) is no problem while the
    // other gives addresses.
    if (problem.empty() || (!query.hold.ever_answered() && !addresses_.empty())) continue;
    if (!out.empty()) out += "; ";
    out += key.name + " " + type_name(key.type) + ": " + problem;
  }
  return out;
}

}  // namespace fulcrum::discovery
