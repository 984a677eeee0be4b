#include "discovery/record_hold.hpp"

#include <algorithm>
#include <utility>

#include "core/clock.hpp"

namespace fulcrum::discovery {
namespace {

std::string seconds(int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

bool contains(const std::vector<dns::ResourceRecord>& records, const dns::ResourceRecord& record) {
  return std::any_of(records.begin(), records.end(), [&](const auto& r) { return same_record(r, record); });
}

}  // namespace

bool same_record(const dns::ResourceRecord& a, const dns::ResourceRecord& b) {
  return a.type == b.type && a.owner == b.owner && a.address.length == b.address.length &&
         a.address.bytes == b.address.bytes && a.srv.priority == b.srv.priority && a.srv.weight == b.srv.weight &&
         a.srv.port == b.srv.port && a.srv.target == b.srv.target && a.cname == b.cname;
}

bool RecordHold::replace(std::vector<dns::ResourceRecord> fresh, int64_t now_ms,
                         const config::ResolverConfig& resolver) {
  // Records that left the answer: kept for hold_obsolete from the first answer without them.
  // records_ holds the last answer and those already held: one already held keeps its first
  // `since` (so it leaves once its hold ends, instead of being held again from now).
  std::vector<Missing> still_held;
  for (const auto& old : records_) {
    if (contains(fresh, old)) continue;
    const bool seen = std::any_of(still_held.begin(), still_held.end(),
                                  [&](const Missing& m) { return same_record(m.record, old); });
    if (seen) continue;
    auto held = std::find_if(obsolete_.begin(), obsolete_.end(),
                             [&](const Missing& m) { return same_record(m.record, old); });
    const int64_t since = held != obsolete_.end() ? held->since_ms : now_ms;
    if (now_ms - since < resolver.hold_obsolete.count()) still_held.push_back(Missing{old, since});
  }
  obsolete_ = std::move(still_held);
  for (const auto& held : obsolete_) fresh.push_back(held.record);
  const bool changed =
      fresh.size() != records_.size() ||
      !std::all_of(fresh.begin(), fresh.end(), [&](const dns::ResourceRecord& r) { return contains(records_, r); });
  records_ = std::move(fresh);
  return changed;
}

bool RecordHold::expire_obsolete(int64_t now_ms, const config::ResolverConfig& resolver) {
  bool changed = false;
  for (auto it = obsolete_.begin(); it != obsolete_.end();) {
    if (now_ms - it->since_ms < resolver.hold_obsolete.count()) {
      ++it;
      continue;
    }
    std::erase_if(records_, [&](const dns::ResourceRecord& r) { return same_record(r, it->record); });
    it = obsolete_.erase(it);
    changed = true;
  }
  return changed;
}

bool RecordHold::clear() {
  const bool changed = !records_.empty();
  records_.clear();
  obsolete_.clear();
  return changed;
}

bool RecordHold::apply(Outcome outcome, std::vector<dns::ResourceRecord> records, const std::string& why,
                       int64_t now_ms, const config::ResolverConfig& resolver) {
  const int64_t min_ttl = resolver.min_ttl.count();
  const int64_t max_ttl = resolver.max_ttl.count();
  if (outcome == Outcome::records) {
    // An empty answer (a name with records of the other family only) has no TTL to follow:
    // asked again after kEmptyAnswerWait, clamped like a TTL.
    uint32_t smallest = records.empty() ? kEmptyAnswerWaitSeconds : UINT32_MAX;
    for (const auto& r : records) smallest = std::min(smallest, r.ttl);
    const int64_t ttl_ms = int64_t{smallest} * 1000;
    const int64_t wait = std::clamp(ttl_ms, min_ttl, max_ttl);
    const bool clamped = wait != ttl_ms;
    if (clamped && !clamped_before_) {
      clamp_notice_ = true;
      clamp_text_ = "TTL " + std::to_string(smallest) + "s clamped to " + seconds(wait) + " (min_ttl " +
                    seconds(min_ttl) + ", max_ttl " + seconds(max_ttl) + ")";
    }
    clamped_before_ = clamped;
    ever_answered_ = true;
    last_good_ms_ = now_ms;
    failing_since_ms_ = 0;
    empty_since_ms_ = 0;
    problem_.clear();
    const bool changed = replace(std::move(records), now_ms, resolver);
    next_query_ms_ = now_ms + wait;
    expires_ms_ = now_ms + wait;
    // An obsolete record must leave on time even when the TTL is long.
    for (const auto& held : obsolete_) {
      next_query_ms_ = std::min(next_query_ms_, held.since_ms + resolver.hold_obsolete.count());
    }
    return changed;
  }

  next_query_ms_ = now_ms + min_ttl;
  // Records already missing from the last answer leave when their hold_obsolete runs out, also
  // while the name fails (the holds below keep the last answer, not what it had already lost).
  bool changed = expire_obsolete(now_ms, resolver);
  if (outcome == Outcome::no_records) {
    if (empty_since_ms_ == 0) empty_since_ms_ = now_ms;
    failing_since_ms_ = 0;
    const int64_t until = empty_since_ms_ + resolver.hold_nx.count();
    if (records_.empty()) {
      problem_ = why + ": no targets from this name";
    } else if (now_ms >= until) {
      changed = clear() || changed;
      problem_ = why + " for " + seconds(now_ms - empty_since_ms_) + " (hold_nx " + seconds(resolver.hold_nx.count()) +
                 "): its targets were removed";
    } else {
      problem_ = why + " since " + seconds(now_ms - empty_since_ms_) + " ago; the last answer is kept for hold_nx (" +
                 seconds(until - now_ms) + " left)";
      next_query_ms_ = std::min(next_query_ms_, until);
    }
    return changed;
  }

  if (failing_since_ms_ == 0) failing_since_ms_ = now_ms;
  if (!ever_answered_) {
    problem_ = "resolution failing (" + why + "); the name has never resolved, so it gives no targets";
    return changed;
  }
  // The hold starts when the last good answer expires (its TTL, clamped), not when it came: a
  // name asked every max_ttl would otherwise lose its targets at the first failed query.
  const int64_t until = std::max(expires_ms_, last_good_ms_) + resolver.hold_valid.count();
  if (records_.empty()) {
    problem_ = "resolution failing (" + why + ") since " + seconds(now_ms - failing_since_ms_) + " ago";
  } else if (now_ms >= until) {
    changed = clear() || changed;
    problem_ = "resolution failing (" + why + ") for " + seconds(now_ms - failing_since_ms_) +
               ": the last good answer expired longer than hold_valid (" + seconds(resolver.hold_valid.count()) +
               ") ago, its targets were removed";
  } else {
    problem_ = "resolution failing (" + why + ") since " + seconds(now_ms - failing_since_ms_) +
               " ago; the last good answer is kept for hold_valid (" + seconds(until - now_ms) + " left)";
    next_query_ms_ = std::min(next_query_ms_, until);
  }
  return changed;
}

}  // namespace fulcrum::discovery
