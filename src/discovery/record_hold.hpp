#pragma once
// What one query (one name, one type) currently contributes to the targets, and how long it
// keeps contributing when the DNS stops answering well (the `resolver:` holds, HAProxy's
// `hold valid / nx / obsolete`). Pure: time comes in as milliseconds, answers as decoded records,
// so every rule is unit-tested without a network (tests/unit/discovery/record_hold_test.cpp).
//
// - An answer with records replaces the set; a record missing from it stays for hold_obsolete
//   (Consul returns 3 random records per answer). The next query is due at the records' smallest
//   TTL, clamped to min_ttl..max_ttl.
// - NXDOMAIN or an answer without records keeps the set for hold_nx, then empties it.
// - A failure (timeout, SERVFAIL, REFUSED, a malformed answer) keeps the last good set for
//   hold_valid after that answer's TTL ran out, then empties it.
// - An answer with no records at all (a name that has only the other address family now) is
//   an answer: the set empties as for any record that leaves it, and is asked again after 5 s.
// - Failures and empty answers are asked again after min_ttl.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>  // std::exchange
#include <vector>

#include "config/config.hpp"
#include "dns/response.hpp"

namespace fulcrum::discovery {

class RecordHold {
 public:
  static constexpr uint32_t kEmptyAnswerWaitSeconds = 5;
  enum class Outcome { records, no_records, failure };

  // Applies one result at `now_ms`. `why` describes no_records and failure ("NXDOMAIN",
  // "timeout", "malformed answer: ..."). Returns true when the records it contributes changed
  // (TTLs aside): an identical answer changes nothing.
  bool apply(Outcome outcome, std::vector<dns::ResourceRecord> records, const std::string& why, int64_t now_ms,
             const config::ResolverConfig& resolver);

  // The records contributing now (answer and additional records together, for SRV).
  const std::vector<dns::ResourceRecord>& records() const { return records_; }
  int64_t next_query_ms() const { return next_query_ms_; }
  // Brings the next query forward to `ms` at the latest (a reload lowered max_ttl).
  void limit_next_query(int64_t ms) { next_query_ms_ = std::min(next_query_ms_, ms); }
  bool ever_answered() const { return ever_answered_; }
  // "" while answers come; else a sentence for the API and the logs: what failed since when,
  // and what is kept until when.
  const std::string& problem() const { return problem_; }
  // True once when the last answer's TTL was clamped (so the caller logs it once, not per query).
  bool take_clamp_notice() { return std::exchange(clamp_notice_, false); }
  std::string clamp_text() const { return clamp_text_; }

 private:
  struct Missing {
    dns::ResourceRecord record;
    int64_t since_ms = 0;
  };
  bool replace(std::vector<dns::ResourceRecord> fresh, int64_t now_ms, const config::ResolverConfig& resolver);
  bool clear();
  bool expire_obsolete(int64_t now_ms, const config::ResolverConfig& resolver);

  std::vector<dns::ResourceRecord> records_;  // the answer's, then those still held as obsolete
  std::vector<Missing> obsolete_;             // missing from the last answer, kept for hold_obsolete
  bool ever_answered_ = false;
  int64_t last_good_ms_ = 0;
  int64_t expires_ms_ = 0;      // when the last good answer's TTL (clamped) ran out
  int64_t failing_since_ms_ = 0;
  int64_t empty_since_ms_ = 0;  // NXDOMAIN or no records since
  int64_t next_query_ms_ = 0;
  std::string problem_;
  bool clamp_notice_ = false;
  bool clamped_before_ = false;
  std::string clamp_text_;
};

// Two records say the same thing (TTL aside).
bool same_record(const dns::ResourceRecord& a, const dns::ResourceRecord& b);

}  // namespace fulcrum::discovery
