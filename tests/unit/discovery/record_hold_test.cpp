#include "discovery/record_hold.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace fulcrum::discovery::record_hold_test {

using Outcome = RecordHold::Outcome;
using Records = std::vector<dns::ResourceRecord>;

// Times start far from 0: the hold keeps "since" marks where 0 means "not set".
constexpr int64_t kT0 = 1'000'000;

dns::ResourceRecord a_record(const std::string& address, uint32_t ttl, const std::string& owner = "app.example.com") {
  dns::ResourceRecord r;
  r.owner = owner;
  r.type = dns::kTypeA;
  r.klass = dns::kClassIn;
  r.ttl = ttl;
  r.address.length = 4;
  EXPECT_EQ(inet_pton(AF_INET, address.c_str(), r.address.bytes.data()), 1) << address;
  return r;
}

dns::ResourceRecord srv_record(uint16_t priority, uint16_t weight, uint16_t port, const std::string& target,
                               uint32_t ttl) {
  dns::ResourceRecord r;
  r.owner = "_http._tcp.example.com";
  r.type = dns::kTypeSrv;
  r.klass = dns::kClassIn;
  r.ttl = ttl;
  r.srv = dns::SrvData{priority, weight, port, target};
  return r;
}

// The records a hold contributes, as text, so sets compare whatever their order.
std::string text_of(const dns::ResourceRecord& r) {
  if (r.type == dns::kTypeSrv) {
    return "SRV " + std::to_string(r.srv.priority) + " " + std::to_string(r.srv.weight) + " " +
           std::to_string(r.srv.port) + " " + r.srv.target;
  }
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(r.address.length == 4 ? AF_INET : AF_INET6, r.address.bytes.data(), buffer, sizeof buffer);
  return std::string(r.type == dns::kTypeA ? "A " : "AAAA ") + buffer;
}

std::multiset<std::string> held(const RecordHold& hold) {
  std::multiset<std::string> out;
  for (const auto& r : hold.records()) out.insert(text_of(r));
  return out;
}

config::ResolverConfig defaults() { return config::ResolverConfig{}; }

config::ResolverConfig with_obsolete(int64_t ms) {
  config::ResolverConfig resolver;
  resolver.hold_obsolete = config::Duration{ms};
  return resolver;
}

TEST(RecordHold, StartsEmptyAndDueAtOnce) {
  RecordHold hold;
  EXPECT_TRUE(hold.records().empty());
  EXPECT_EQ(hold.next_query_ms(), 0);
  EXPECT_FALSE(hold.ever_answered());
  EXPECT_EQ(hold.problem(), "");
  EXPECT_FALSE(hold.take_clamp_notice());
}

TEST(RecordHold, RecordsAreHeldAndNextQueryIsAtTheSmallestTtl) {
  RecordHold hold;
  const auto resolver = defaults();
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 60), a_record("10.0.0.2", 20)}, "", kT0, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1", "A 10.0.0.2"}));
  EXPECT_EQ(hold.next_query_ms(), kT0 + 20'000);
  EXPECT_TRUE(hold.ever_answered());
  EXPECT_EQ(hold.problem(), "");
  EXPECT_FALSE(hold.take_clamp_notice()) << "20 s lies within 1 s..300 s";
}

TEST(RecordHold, TtlZeroIsClampedToMinTtlWithOneNotice) {
  RecordHold hold;
  const auto resolver = defaults();  // min_ttl 1 s, max_ttl 300 s
  hold.apply(Outcome::records, {a_record("10.0.0.1", 0)}, "", kT0, resolver);
  EXPECT_EQ(hold.next_query_ms(), kT0 + 1'000);
  EXPECT_TRUE(hold.take_clamp_notice());
  EXPECT_EQ(hold.clamp_text(), "TTL 0s clamped to 1s (min_ttl 1s, max_ttl 300s)");
  EXPECT_FALSE(hold.take_clamp_notice()) << "the notice is taken once";

  // The same clamp on the next answers: no new notice.
  for (int i = 1; i <= 3; ++i) {
    hold.apply(Outcome::records, {a_record("10.0.0.1", 0)}, "", kT0 + i * 1'000, resolver);
    EXPECT_EQ(hold.next_query_ms(), kT0 + i * 1'000 + 1'000);
    EXPECT_FALSE(hold.take_clamp_notice()) << "answer " << i;
  }

  // An answer within the bounds, then a clamped one again: a new notice.
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 10'000, resolver);
  EXPECT_FALSE(hold.take_clamp_notice());
  hold.apply(Outcome::records, {a_record("10.0.0.1", 0)}, "", kT0 + 40'000, resolver);
  EXPECT_TRUE(hold.take_clamp_notice());
}

TEST(RecordHold, LongTtlIsClampedToMaxTtl) {
  RecordHold hold;
  auto resolver = defaults();
  resolver.max_ttl = config::Duration{300'000};  // 5m
  hold.apply(Outcome::records, {a_record("10.0.0.1", 3600)}, "", kT0, resolver);
  EXPECT_EQ(hold.next_query_ms(), kT0 + 300'000);
  EXPECT_TRUE(hold.take_clamp_notice());
  EXPECT_EQ(hold.clamp_text(), "TTL 3600s clamped to 300s (min_ttl 1s, max_ttl 300s)");
}

TEST(RecordHold, MinTtlInMillisecondsIsWrittenAsSuch) {
  RecordHold hold;
  auto resolver = defaults();
  resolver.min_ttl = config::Duration{1'500};
  hold.apply(Outcome::records, {a_record("10.0.0.1", 1)}, "", kT0, resolver);
  EXPECT_EQ(hold.next_query_ms(), kT0 + 1'500);
  EXPECT_TRUE(hold.take_clamp_notice());
  EXPECT_EQ(hold.clamp_text(), "TTL 1s clamped to 1500ms (min_ttl 1500ms, max_ttl 300s)");
}

TEST(RecordHold, IdenticalAnswerReorderedWithOtherTtlChangesNothing) {
  RecordHold hold;
  const auto resolver = defaults();
  ASSERT_TRUE(hold.apply(Outcome::records,
                         {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30), a_record("10.0.0.3", 30)}, "", kT0,
                         resolver));
  EXPECT_FALSE(hold.apply(Outcome::records,
                          {a_record("10.0.0.3", 7), a_record("10.0.0.1", 12), a_record("10.0.0.2", 9)}, "",
                          kT0 + 30'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1", "A 10.0.0.2", "A 10.0.0.3"}));
  EXPECT_EQ(hold.next_query_ms(), kT0 + 30'000 + 7'000) << "the new answer's TTLs count";
}

TEST(RecordHold, ChangedAnswerChangesTheSet) {
  RecordHold hold;
  const auto resolver = defaults();
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0, resolver);
  // One replaced.
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.9", 30)}, "", kT0 + 30'000,
                         resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1", "A 10.0.0.9"}));
  // One added.
  EXPECT_TRUE(hold.apply(Outcome::records,
                         {a_record("10.0.0.1", 30), a_record("10.0.0.9", 30), a_record("10.0.0.4", 30)}, "",
                         kT0 + 60'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1", "A 10.0.0.9", "A 10.0.0.4"}));
  // Same owner and address, another SRV port: a different record.
  RecordHold srv;
  srv.apply(Outcome::records, {srv_record(10, 5, 8080, "a.example.com", 30)}, "", kT0, resolver);
  EXPECT_TRUE(srv.apply(Outcome::records, {srv_record(10, 5, 8081, "a.example.com", 30)}, "", kT0 + 1, resolver));
  EXPECT_TRUE(srv.apply(Outcome::records, {srv_record(10, 6, 8081, "a.example.com", 30)}, "", kT0 + 2, resolver));
  EXPECT_TRUE(srv.apply(Outcome::records, {srv_record(11, 6, 8081, "a.example.com", 30)}, "", kT0 + 3, resolver));
  EXPECT_TRUE(srv.apply(Outcome::records, {srv_record(11, 6, 8081, "b.example.com", 30)}, "", kT0 + 4, resolver));
  EXPECT_FALSE(srv.apply(Outcome::records, {srv_record(11, 6, 8081, "b.example.com", 5)}, "", kT0 + 5, resolver));
}

TEST(RecordHold, HoldObsoleteZeroDropsAMissingRecordAtOnce) {
  RecordHold hold;
  const auto resolver = with_obsolete(0);
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0, resolver);
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 30'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
  EXPECT_EQ(hold.next_query_ms(), kT0 + 60'000);
}

TEST(RecordHold, HoldObsoleteKeepsAMissingRecordThenDropsIt) {
  RecordHold hold;
  const auto resolver = with_obsolete(10'000);
  const std::multiset<std::string> both{"A 10.0.0.1", "A 10.0.0.2"};
  const std::multiset<std::string> one{"A 10.0.0.1"};
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0, resolver);

  // 10.0.0.2 leaves the answer at t1: kept until t1 + 10 s, and the next query comes no later.
  const int64_t t1 = kT0 + 30'000;
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", t1, resolver))
      << "still contributed: nothing changed";
  EXPECT_EQ(held(hold), both);
  EXPECT_EQ(hold.next_query_ms(), t1 + 10'000) << "the TTL (30 s) is later than the expiry (10 s)";

  // Answers without it meanwhile do not restart its 10 s.
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", t1 + 4'000, resolver));
  EXPECT_EQ(held(hold), both);
  EXPECT_EQ(hold.next_query_ms(), t1 + 10'000);
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", t1 + 9'999, resolver));
  EXPECT_EQ(held(hold), both);
  EXPECT_EQ(hold.next_query_ms(), t1 + 10'000);

  // At its expiry it goes.
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", t1 + 10'000, resolver));
  EXPECT_EQ(held(hold), one);
  EXPECT_EQ(hold.next_query_ms(), t1 + 10'000 + 30'000) << "nothing held any more: the TTL decides";

  // And stays gone.
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", t1 + 40'000, resolver));
  EXPECT_EQ(held(hold), one);
}

TEST(RecordHold, HoldObsoleteRecordThatComesBackIsNoLongerObsolete) {
  RecordHold hold;
  const auto resolver = with_obsolete(10'000);
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0, resolver);
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 1'000, resolver);
  // Back in the answer: a fresh record, held by the answer again, not by hold_obsolete.
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0 + 2'000,
                          resolver));
  EXPECT_EQ(hold.next_query_ms(), kT0 + 2'000 + 30'000);
  // Leaves again later: a new 10 s from then.
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 20'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1", "A 10.0.0.2"}));
  EXPECT_EQ(hold.next_query_ms(), kT0 + 30'000);
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 30'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
}

TEST(RecordHold, NoRecordsKeepsTheSetForHoldNxThenClears) {
  RecordHold hold;
  const auto resolver = defaults();  // hold_nx 30 s, min_ttl 1 s
  const std::multiset<std::string> set{"A 10.0.0.1", "A 10.0.0.2"};
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0, resolver);

  const int64_t t1 = kT0 + 30'000;  // the first NXDOMAIN
  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", t1, resolver));
  EXPECT_EQ(held(hold), set);
  EXPECT_EQ(hold.next_query_ms(), t1 + 1'000) << "asked again after min_ttl";
  EXPECT_EQ(hold.problem(), "NXDOMAIN since 0s ago; the last answer is kept for hold_nx (30s left)");

  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", t1 + 12'000, resolver));
  EXPECT_EQ(held(hold), set);
  EXPECT_EQ(hold.problem(), "NXDOMAIN since 12s ago; the last answer is kept for hold_nx (18s left)");

  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", t1 + 29'500, resolver));
  EXPECT_EQ(held(hold), set);
  EXPECT_EQ(hold.next_query_ms(), t1 + 30'000) << "no later than the end of hold_nx";

  EXPECT_TRUE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", t1 + 30'000, resolver)) << "clears: a change";
  EXPECT_TRUE(hold.records().empty());
  EXPECT_EQ(hold.problem(), "NXDOMAIN for 30s (hold_nx 30s): its targets were removed");
  EXPECT_EQ(hold.next_query_ms(), t1 + 31'000);

  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", t1 + 31'000, resolver)) << "already empty";
  EXPECT_TRUE(hold.records().empty());
  EXPECT_EQ(hold.problem(), "NXDOMAIN: no targets from this name");
  EXPECT_EQ(hold.next_query_ms(), t1 + 32'000);

  // Recovery.
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", t1 + 32'000, resolver));
  EXPECT_EQ(hold.problem(), "");
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
}

TEST(RecordHold, NoRecordsBeforeAnyAnswer) {
  RecordHold hold;
  const auto resolver = defaults();
  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "no AAAA records", kT0, resolver));
  EXPECT_TRUE(hold.records().empty());
  EXPECT_FALSE(hold.ever_answered());
  EXPECT_EQ(hold.problem(), "no AAAA records: no targets from this name");
  EXPECT_EQ(hold.next_query_ms(), kT0 + 1'000);
}

TEST(RecordHold, AnAnswerBetweenNoRecordsRestartsHoldNx) {
  RecordHold hold;
  const auto resolver = defaults();
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0, resolver);
  hold.apply(Outcome::no_records, {}, "NXDOMAIN", kT0 + 1'000, resolver);
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 20'000, resolver);
  EXPECT_EQ(hold.problem(), "");
  // A new NXDOMAIN spell: 30 s from its start, not from the first one.
  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", kT0 + 40'000, resolver));
  EXPECT_FALSE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", kT0 + 69'999, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
  EXPECT_TRUE(hold.apply(Outcome::no_records, {}, "NXDOMAIN", kT0 + 70'000, resolver));
  EXPECT_TRUE(hold.records().empty());
}

TEST(RecordHold, FailureKeepsTheLastGoodSetForHoldValidThenClears) {
  RecordHold hold;
  const auto resolver = defaults();  // hold_valid 300 s, min_ttl 1 s
  const std::multiset<std::string> set{"A 10.0.0.1", "A 10.0.0.2"};
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30), a_record("10.0.0.2", 30)}, "", kT0, resolver);
  // hold_valid counts from when the answer expired (its TTL, 30 s, after kT0): until kT0 + 330 s.
  const int64_t expired = kT0 + 30'000;
  const int64_t t1 = expired + 6'000;  // the first failure: the query due at expiry timed out
  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout", t1, resolver));
  EXPECT_EQ(held(hold), set);
  EXPECT_EQ(hold.next_query_ms(), t1 + 1'000) << "asked again after min_ttl";
  EXPECT_EQ(hold.problem(),
            "resolution failing (timeout) since 0s ago; the last good answer is kept for hold_valid (294s left)");

  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "SERVFAIL", t1 + 100'000, resolver));
  EXPECT_EQ(held(hold), set);
  EXPECT_EQ(hold.problem(),
            "resolution failing (SERVFAIL) since 100s ago; the last good answer is kept for hold_valid (194s left)");

  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout", expired + 299'999, resolver));
  EXPECT_EQ(held(hold), set);
  EXPECT_EQ(hold.next_query_ms(), expired + 300'000) << "no later than the end of hold_valid";

  EXPECT_TRUE(hold.apply(Outcome::failure, {}, "timeout", expired + 300'000, resolver)) << "clears: a change";
  EXPECT_TRUE(hold.records().empty());
  EXPECT_EQ(hold.problem(),
            "resolution failing (timeout) for 294s: the last good answer expired longer than hold_valid (300s) ago, "
            "its targets were removed");
  EXPECT_EQ(hold.next_query_ms(), expired + 301'000);

  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout", expired + 301'000, resolver)) << "already empty";
  EXPECT_EQ(hold.problem(), "resolution failing (timeout) since 295s ago");
  EXPECT_EQ(hold.next_query_ms(), expired + 302'000);

  // Recovery clears the problem.
  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.3", 30)}, "", expired + 302'000, resolver));
  EXPECT_EQ(hold.problem(), "");
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.3"}));
  EXPECT_EQ(hold.next_query_ms(), expired + 332'000);
}

// A name asked every max_ttl (a long TTL, clamped) whose first query after that fails keeps its
// targets: the hold starts when the answer expired, not when it came.
TEST(RecordHold, ALongTtlAnswerIsStillHeldWhenItsNextQueryFails) {
  RecordHold hold;
  const auto resolver = defaults();  // max_ttl 300 s = hold_valid
  hold.apply(Outcome::records, {a_record("10.0.0.1", 3600)}, "", kT0, resolver);
  EXPECT_EQ(hold.next_query_ms(), kT0 + 300'000);
  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout", kT0 + 306'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
}

TEST(RecordHold, FailureBeforeAnyAnswerGivesNothing) {
  RecordHold hold;
  const auto resolver = defaults();
  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout: no answer from the nameservers", kT0, resolver));
  EXPECT_TRUE(hold.records().empty());
  EXPECT_FALSE(hold.ever_answered());
  EXPECT_NE(hold.problem().find("never resolved"), std::string::npos) << hold.problem();
  EXPECT_NE(hold.problem().find("timeout: no answer from the nameservers"), std::string::npos) << hold.problem();
  EXPECT_EQ(hold.next_query_ms(), kT0 + 1'000);

  EXPECT_TRUE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 1'000, resolver));
  EXPECT_EQ(hold.problem(), "");
  EXPECT_TRUE(hold.ever_answered());
}

TEST(RecordHold, RecoveryFromAFailureWithTheSameAnswerIsNoChange) {
  RecordHold hold;
  const auto resolver = defaults();
  hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0, resolver);
  hold.apply(Outcome::failure, {}, "timeout", kT0 + 30'000, resolver);
  ASSERT_NE(hold.problem(), "");
  EXPECT_FALSE(hold.apply(Outcome::records, {a_record("10.0.0.1", 30)}, "", kT0 + 31'000, resolver));
  EXPECT_EQ(hold.problem(), "");
  // hold_valid counts from this answer's expiry now (kT0 + 31 s + its TTL of 30 s).
  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout", kT0 + 360'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
  EXPECT_TRUE(hold.apply(Outcome::failure, {}, "timeout", kT0 + 361'000, resolver));
}

TEST(RecordHold, SameRecordIgnoresTtlOnly) {
  auto a = a_record("10.0.0.1", 30);
  auto b = a_record("10.0.0.1", 99);
  EXPECT_TRUE(same_record(a, b));
  EXPECT_FALSE(same_record(a, a_record("10.0.0.2", 30)));
  EXPECT_FALSE(same_record(a, a_record("10.0.0.1", 30, "other.example.com")));
  EXPECT_FALSE(same_record(srv_record(1, 2, 3, "a.example.com", 5), srv_record(1, 2, 3, "b.example.com", 5)));
  EXPECT_TRUE(same_record(srv_record(1, 2, 3, "a.example.com", 5), srv_record(1, 2, 3, "a.example.com", 500)));
}

// A record already missing from the last answer leaves at its hold_obsolete also while the name
// then fails: the failure holds keep the last answer, not what it had already lost.
TEST(RecordHold, ObsoleteRecordsLeaveOnTimeWhileTheNameFails) {
  RecordHold hold;
  const auto resolver = with_obsolete(10'000);
  hold.apply(Outcome::records, {a_record("10.0.0.1", 5), a_record("10.0.0.2", 5)}, "", kT0, resolver);
  hold.apply(Outcome::records, {a_record("10.0.0.1", 5)}, "", kT0 + 5'000, resolver);
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1", "A 10.0.0.2"}));
  EXPECT_FALSE(hold.apply(Outcome::failure, {}, "timeout", kT0 + 14'999, resolver));
  EXPECT_TRUE(hold.apply(Outcome::failure, {}, "timeout", kT0 + 15'000, resolver));
  EXPECT_EQ(held(hold), (std::multiset<std::string>{"A 10.0.0.1"}));
  EXPECT_NE(hold.problem(), "");
}

}  // namespace fulcrum::discovery::record_hold_test
