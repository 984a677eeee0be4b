#include "discovery/name_watch.hpp"

#include <ares.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::discovery::name_watch_test {

using Bytes = std::vector<uint8_t>;

constexpr int64_t kT0 = 1'000'000;

// --- Raw DNS responses, written by hand (RFC 1035 § 4; SRV RFC 2782), no compression. ---

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}

void put_name(Bytes& b, std::string_view name) {
  while (!name.empty()) {
    const size_t dot = std::min(name.find('.'), name.size());
    b.push_back(static_cast<uint8_t>(dot));
    b.insert(b.end(), name.begin(), name.begin() + static_cast<long>(dot));
    name.remove_prefix(std::min(dot + 1, name.size()));
  }
  b.push_back(0);
}

struct Rr {
  std::string owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  Bytes rdata;
};

Rr a(const std::string& owner, const char* address, uint32_t ttl = 30) {
  Rr r{owner, dns::kTypeA, ttl, Bytes(4)};
  EXPECT_EQ(inet_pton(AF_INET, address, r.rdata.data()), 1) << address;
  return r;
}

Rr aaaa(const std::string& owner, const char* address, uint32_t ttl = 30) {
  Rr r{owner, dns::kTypeAaaa, ttl, Bytes(16)};
  EXPECT_EQ(inet_pton(AF_INET6, address, r.rdata.data()), 1) << address;
  return r;
}

// target "" is the root ("."): no service.
Rr srv(const std::string& owner, uint16_t priority, uint16_t weight, uint16_t port, const std::string& target,
       uint32_t ttl = 30) {
  Rr r{owner, dns::kTypeSrv, ttl, {}};
  put16(r.rdata, priority);
  put16(r.rdata, weight);
  put16(r.rdata, port);
  put_name(r.rdata, target);
  return r;
}

void put_rr(Bytes& b, const Rr& r) {
  put_name(b, r.owner);
  put16(b, r.type);
  put16(b, dns::kClassIn);
  put32(b, r.ttl);
  put16(b, static_cast<uint16_t>(r.rdata.size()));
  b.insert(b.end(), r.rdata.begin(), r.rdata.end());
}

// A response: QR RD RA and `rcode`, one question, the answer and additional sections.
Bytes response(const std::string& question, uint16_t type, const std::vector<Rr>& answers,
               const std::vector<Rr>& additional = {}, uint8_t rcode = 0) {
  Bytes b;
  put16(b, 0x4242);
  put16(b, static_cast<uint16_t>(0x8180 | rcode));
  put16(b, 1);
  put16(b, static_cast<uint16_t>(answers.size()));
  put16(b, 0);
  put16(b, static_cast<uint16_t>(additional.size()));
  put_name(b, question);
  put16(b, type);
  put16(b, dns::kClassIn);
  for (const auto& r : answers) put_rr(b, r);
  for (const auto& r : additional) put_rr(b, r);
  return b;
}

// The response decodes (the helpers above are right), so a failure in a test is NameWatch's.
Bytes checked(Bytes b) {
  dns::Response decoded;
  EXPECT_EQ(dns::decode_response(b, decoded), dns::ResponseError::none);
  return b;
}

// --- Reading NameWatch. ---

const std::string kName = "app.example.com";
const std::string kSrvName = "_http._tcp.example.com";

QueryKey key(const std::string& name, uint16_t type) { return QueryKey{name, type}; }

std::string text_of(const QueryKey& k) {
  return k.name + (k.type == dns::kTypeA ? " A" : k.type == dns::kTypeAaaa ? " AAAA" : k.type == dns::kTypeSrv ? " SRV" : " ?");
}

std::vector<std::string> texts(const std::vector<QueryKey>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(text_of(k));
  std::sort(out.begin(), out.end());
  return out;
}

// "ADDRESS:PORT w=W p=P", in the order NameWatch gives them.
std::vector<std::string> found(const NameWatch& watch) {
  std::vector<std::string> out;
  for (const auto& f : watch.addresses()) {
    out.push_back(f.address.to_string() + " w=" + std::to_string(f.srv_weight) + " p=" + std::to_string(f.srv_priority));
  }
  return out;
}

using Strings = std::vector<std::string>;

config::ResolverConfig defaults() { return config::ResolverConfig{}; }

// --- dns: names ---

TEST(NameWatch, DnsNameWithPreferBothAsksAAndAaaaOnce) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  EXPECT_EQ(watch.origin(), "dns:app.example.com");
  EXPECT_EQ(watch.next_due_ms(), 0);
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"app.example.com A", "app.example.com AAAA"}));
  EXPECT_TRUE(watch.due(kT0).empty()) << "in flight: not asked again";
  EXPECT_TRUE(watch.due(kT0 + 3'600'000).empty()) << "in flight: not asked again, however long";
  EXPECT_EQ(watch.next_due_ms(), INT64_MAX);
  EXPECT_FALSE(watch.ever_resolved());
  EXPECT_TRUE(watch.addresses().empty());
}

TEST(NameWatch, PreferIpv4AsksOnlyA) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv4);
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"app.example.com A"}));
}

TEST(NameWatch, PreferIpv6AsksOnlyAaaa) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv6);
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"app.example.com AAAA"}));
}

TEST(NameWatch, AAnswerGivesAddressesWithPortZeroAndAaaaNodataIsNoProblem) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.2", 30), a(kName, "10.0.0.1", 60)})),
                              kT0 + 10, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0", "10.0.0.2:0 w=0 p=0"}));
  EXPECT_TRUE(watch.ever_resolved());

  // NODATA for AAAA, as c-ares gives it (status ENODATA, the empty answer attached).
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeAaaa), ARES_ENODATA,
                               checked(response(kName, dns::kTypeAaaa, {})), kT0 + 20, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0", "10.0.0.2:0 w=0 p=0"}));
  EXPECT_EQ(watch.problem(), "") << "an IPv4-only name is no problem while A gives addresses";

  // A again at its smallest TTL (30 s); AAAA, empty while A answers, after 5 s (there is no
  // TTL to follow).
  EXPECT_EQ(watch.next_due_ms(), kT0 + 20 + 5'000);
  EXPECT_TRUE(watch.due(kT0 + 5'019).empty());
  EXPECT_EQ(texts(watch.due(kT0 + 5'020)), (Strings{"app.example.com AAAA"}));
  EXPECT_EQ(watch.next_due_ms(), kT0 + 10 + 30'000);
  EXPECT_TRUE(watch.due(kT0 + 30'009).empty());
  EXPECT_EQ(texts(watch.due(kT0 + 30'010)), (Strings{"app.example.com A"}));
}

// A name that moves from IPv4 to IPv6: its A records leave at once (an answer for the name
// still comes), they are not held for hold_nx as if the name were gone.
TEST(NameWatch, AddressesOfAFamilyTheNameNoLongerHasLeaveAtOnce) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})),
                  kT0, resolver);
  watch.on_result(key(kName, dns::kTypeAaaa), ARES_ENODATA, {}, kT0, resolver);
  watch.due(kT0 + 60'000);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeAaaa), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeAaaa, {aaaa(kName, "fd00::1")})), kT0 + 60'000,
                              resolver));
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_ENODATA, {}, kT0 + 60'001, resolver));
  EXPECT_EQ(found(watch), (Strings{"[fd00::1]:0 w=0 p=0"}));
  EXPECT_EQ(watch.problem(), "");
}

TEST(NameWatch, AaaaNodataWithoutAnswerBytesIsNoProblemEither) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kName, dns::kTypeAaaa), ARES_ENODATA, {}, kT0, resolver);
  watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})),
                  kT0, resolver);
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0"}));
  EXPECT_EQ(watch.problem(), "");
}

TEST(NameWatch, AAndAaaaTogether) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeAaaa), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeAaaa, {aaaa(kName, "2001:db8::1")})), kT0, resolver));
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})), kT0, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0", "[2001:db8::1]:0 w=0 p=0"}));
  EXPECT_EQ(watch.problem(), "");
}

TEST(NameWatch, OnlyTheAskedTypeCounts) {
  // A CNAME chain's records and records of another type in the answer section give nothing.
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv4);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1"), aaaa(kName, "2001:db8::1")})),
                              kT0, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0"}));
}

TEST(NameWatch, AnAnswerThatOnlyReordersChangesNothing) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv4);
  const auto resolver = defaults();
  watch.due(kT0);
  ASSERT_TRUE(watch.on_result(
      key(kName, dns::kTypeA), ARES_SUCCESS,
      checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1"), a(kName, "10.0.0.2"), a(kName, "10.0.0.3")})), kT0,
      resolver));
  const Strings before = found(watch);
  watch.due(kT0 + 30'000);
  EXPECT_FALSE(watch.on_result(
      key(kName, dns::kTypeA), ARES_SUCCESS,
      checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.3", 5), a(kName, "10.0.0.1", 9), a(kName, "10.0.0.2", 7)})),
      kT0 + 30'000, resolver));
  EXPECT_EQ(found(watch), before);
  // A changed answer is a change.
  watch.due(kT0 + 35'000);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.3"), a(kName, "10.0.0.1")})),
                              kT0 + 35'000, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0", "10.0.0.3:0 w=0 p=0"}));
}

TEST(NameWatch, ResultForAnUnknownQueryIsIgnored) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv4);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_FALSE(watch.on_result(key("other.example.com", dns::kTypeA), ARES_SUCCESS,
                               checked(response("other.example.com", dns::kTypeA, {a("other.example.com", "10.9.9.9")})),
                               kT0, resolver));
  EXPECT_TRUE(watch.addresses().empty());
  EXPECT_TRUE(watch.due(kT0).empty()) << "the A query of the name is still in flight";
}

TEST(NameWatch, MalformedAnswerIsAFailureThatKeepsTheAddresses) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv4);
  const auto resolver = defaults();  // hold_valid 300 s
  watch.due(kT0);
  ASSERT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1"), a(kName, "10.0.0.2")})), kT0,
                              resolver));
  const Strings before = found(watch);

  // The header claims 10,000 answers; one follows.
  Bytes bad = response(kName, dns::kTypeA, {a(kName, "10.0.0.7")});
  bad[6] = 10'000 >> 8;
  bad[7] = 10'000 & 0xFF;
  dns::Response decoded;
  ASSERT_NE(dns::decode_response(bad, decoded), dns::ResponseError::none);

  ASSERT_EQ(texts(watch.due(kT0 + 30'000)), (Strings{"app.example.com A"}));
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, bad, kT0 + 30'000, resolver));
  EXPECT_EQ(found(watch), before);
  EXPECT_NE(watch.problem().find("malformed answer"), std::string::npos) << watch.problem();
  EXPECT_NE(watch.problem().find("app.example.com A"), std::string::npos) << watch.problem();
  EXPECT_EQ(watch.next_due_ms(), kT0 + 31'000) << "a failure is asked again after min_ttl";

  // Still failing when hold_valid ends (counted from when the last good answer expired, its
  // TTL of 30 s after kT0): the addresses go.
  watch.due(kT0 + 329'000);
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_ETIMEOUT, {}, kT0 + 329'000, resolver));
  EXPECT_EQ(found(watch), before);
  EXPECT_NE(watch.problem(), "");
  watch.due(kT0 + 330'000);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_ETIMEOUT, {}, kT0 + 330'000, resolver));
  EXPECT_TRUE(watch.addresses().empty());
  EXPECT_NE(watch.problem(), "");

  // Recovery.
  watch.due(kT0 + 301'000);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS,
                              checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})), kT0 + 301'000, resolver));
  EXPECT_EQ(watch.problem(), "");
}

TEST(NameWatch, ServfailIsAFailure) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::ipv4);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})),
                  kT0, resolver);
  watch.due(kT0 + 30'000);
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_ESERVFAIL,
                               checked(response(kName, dns::kTypeA, {}, {}, 2)), kT0 + 30'000, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0"}));
  EXPECT_NE(watch.problem().find("SERVFAIL"), std::string::npos) << watch.problem();
}

TEST(NameWatch, FailureBeforeAnyAnswerIsAProblem) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_ETIMEOUT, {}, kT0, resolver));
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeAaaa), ARES_ETIMEOUT, {}, kT0, resolver));
  EXPECT_TRUE(watch.addresses().empty());
  EXPECT_FALSE(watch.ever_resolved());
  const std::string problem = watch.problem();
  EXPECT_NE(problem.find("app.example.com A: "), std::string::npos) << problem;
  EXPECT_NE(problem.find("app.example.com AAAA: "), std::string::npos) << problem;
  EXPECT_NE(problem.find("timeout"), std::string::npos) << problem;
  EXPECT_NE(problem.find("never resolved"), std::string::npos) << problem;
}

TEST(NameWatch, NxdomainAfterAnswersKeepsTheAddressesForHoldNx) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();  // hold_nx 30 s
  watch.due(kT0);
  watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})),
                  kT0, resolver);
  watch.on_result(key(kName, dns::kTypeAaaa), ARES_ENODATA, checked(response(kName, dns::kTypeAaaa, {})), kT0,
                  resolver);
  const Strings before{"10.0.0.1:0 w=0 p=0"};
  ASSERT_EQ(found(watch), before);

  const int64_t t1 = kT0 + 30'000;
  ASSERT_EQ(texts(watch.due(t1)), (Strings{"app.example.com A", "app.example.com AAAA"}));
  // NXDOMAIN as c-ares gives it: status ENOTFOUND with the response (rcode 3).
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_ENOTFOUND,
                               checked(response(kName, dns::kTypeA, {}, {}, 3)), t1, resolver));
  // And without the response bytes.
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeAaaa), ARES_ENOTFOUND, {}, t1, resolver));
  EXPECT_EQ(found(watch), before);
  EXPECT_NE(watch.problem().find("NXDOMAIN"), std::string::npos) << watch.problem();

  watch.due(t1 + 29'999);
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_ENOTFOUND, {}, t1 + 29'999, resolver));
  EXPECT_EQ(found(watch), before);

  watch.due(t1 + 30'000);
  EXPECT_TRUE(watch.on_result(key(kName, dns::kTypeA), ARES_ENOTFOUND, {}, t1 + 30'000, resolver));
  EXPECT_TRUE(watch.addresses().empty());
  EXPECT_NE(watch.problem().find("NXDOMAIN"), std::string::npos) << watch.problem();
}

TEST(NameWatch, ForgetInFlightAsksAgain) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  watch.due(kT0);
  ASSERT_TRUE(watch.due(kT0).empty());
  watch.forget_in_flight();
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"app.example.com A", "app.example.com AAAA"}));
}

// --- srv: names ---

TEST(NameWatch, SrvWithAddressesInTheAdditionalSection) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::both);
  const auto resolver = defaults();
  EXPECT_EQ(watch.origin(), "srv:_http._tcp.example.com");
  ASSERT_EQ(texts(watch.due(kT0)), (Strings{"_http._tcp.example.com SRV"}));
  EXPECT_TRUE(watch.on_result(
      key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
      checked(response(kSrvName, dns::kTypeSrv,
                       {srv(kSrvName, 20, 10, 8081, "b.example.com"), srv(kSrvName, 10, 5, 8080, "a.example.com")},
                       {a("a.example.com", "10.0.0.1"), a("b.example.com", "10.0.0.2"),
                        aaaa("b.example.com", "2001:db8::2")})),
      kT0, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:8080 w=5 p=10", "10.0.0.2:8081 w=10 p=20", "[2001:db8::2]:8081 w=10 p=20"}));
  EXPECT_TRUE(watch.due(kT0).empty()) << "the additional section resolves every target: no target query";
  EXPECT_TRUE(watch.due(kT0 + 29'999).empty());
  EXPECT_EQ(watch.next_due_ms(), kT0 + 30'000);
  EXPECT_EQ(watch.problem(), "");
}

TEST(NameWatch, SrvWithPreferIpv4IgnoresAaaaInTheAdditionalSection) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::ipv4);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
                  checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 0, 1, 8080, "a.example.com")},
                                   {a("a.example.com", "10.0.0.1"), aaaa("a.example.com", "2001:db8::1")})),
                  kT0, resolver);
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:8080 w=1 p=0"}));
}

TEST(NameWatch, SrvTargetMissingFromTheAdditionalSectionIsAskedFor) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_FALSE(watch.on_result(
      key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
      checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 1, 7, 9000, "a.example.com")})), kT0, resolver))
      << "no address yet";
  EXPECT_TRUE(watch.addresses().empty());
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"a.example.com A", "a.example.com AAAA"}));
  EXPECT_TRUE(watch.due(kT0).empty()) << "asked once";

  EXPECT_TRUE(watch.on_result(key("a.example.com", dns::kTypeA), ARES_SUCCESS,
                              checked(response("a.example.com", dns::kTypeA, {a("a.example.com", "10.0.0.5")})), kT0 + 5,
                              resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.5:9000 w=7 p=1"}));
  EXPECT_FALSE(watch.on_result(key("a.example.com", dns::kTypeAaaa), ARES_ENODATA,
                               checked(response("a.example.com", dns::kTypeAaaa, {})), kT0 + 6, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.5:9000 w=7 p=1"}));
  EXPECT_EQ(watch.problem(), "");
  EXPECT_TRUE(watch.ever_resolved());

  // The target leaves the SRV answer: its queries go, and its address with them.
  watch.due(kT0 + 30'000);
  EXPECT_TRUE(watch.on_result(
      key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
      checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 1, 7, 9000, "b.example.com")},
                       {a("b.example.com", "10.0.0.6")})),
      kT0 + 30'000, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.6:9000 w=7 p=1"}));
  EXPECT_EQ(texts(watch.due(kT0 + 3'600'000)), (Strings{"_http._tcp.example.com SRV"})) << "only the SRV query is left";
}

TEST(NameWatch, SrvTargetQueryWithPreferIpv4AsksOnlyA) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::ipv4);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
                  checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 1, 7, 9000, "a.example.com")})), kT0,
                  resolver);
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"a.example.com A"}));
}

TEST(NameWatch, SrvTargetRootGivesNothing) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  EXPECT_FALSE(watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
                               checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 0, 0, 0, "")})), kT0, resolver));
  EXPECT_TRUE(watch.addresses().empty());
  EXPECT_TRUE(watch.due(kT0).empty()) << "no target query for the root";
  EXPECT_NE(watch.problem().find("no SRV records"), std::string::npos) << watch.problem();
}

TEST(NameWatch, SrvMalformedAnswerKeepsTheAddresses) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  ASSERT_TRUE(watch.on_result(
      key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
      checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 10, 5, 8080, "a.example.com")},
                       {a("a.example.com", "10.0.0.1")})),
      kT0, resolver));
  Bytes bad = response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 10, 5, 8080, "a.example.com")});
  bad[6] = 10'000 >> 8;
  bad[7] = 10'000 & 0xFF;
  watch.due(kT0 + 30'000);
  EXPECT_FALSE(watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS, bad, kT0 + 30'000, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:8080 w=5 p=10"}));
  EXPECT_NE(watch.problem(), "");
  EXPECT_TRUE(watch.due(kT0 + 30'000).empty()) << "no target query appears from a failure";
}

// --- Review fixes: NXDOMAIN is held, SRV families per type, prefer changed by a reload. ---

// A dual-stack name that is deleted: NXDOMAIN for A while AAAA still has records is a name gone
// away (hold_nx), not "no IPv4 any more".
TEST(NameWatch, NxdomainForOneFamilyIsHeldLikeAnyNxdomain) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();  // hold_nx 30 s
  watch.due(kT0);
  watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})),
                  kT0, resolver);
  watch.on_result(key(kName, dns::kTypeAaaa), ARES_SUCCESS,
                  checked(response(kName, dns::kTypeAaaa, {aaaa(kName, "fd00::1")})), kT0, resolver);
  watch.due(kT0 + 30'000);
  EXPECT_FALSE(watch.on_result(key(kName, dns::kTypeA), ARES_ENOTFOUND, {}, kT0 + 30'000, resolver));
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0", "[fd00::1]:0 w=0 p=0"}));
  EXPECT_NE(watch.problem().find("NXDOMAIN"), std::string::npos) << watch.problem();
}

// prefer: ipv6 and an additional section with only A for the target: its AAAA is asked.
TEST(NameWatch, SrvTargetsAreAskedForTheFamilyTheAdditionalSectionLacks) {
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::ipv6);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
                  checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 1, 1, 8080, "t1.example.com")},
                                   {a("t1.example.com", "10.0.0.1")})),
                  kT0, resolver);
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"t1.example.com AAAA"}));
  EXPECT_TRUE(watch.on_result(key("t1.example.com", dns::kTypeAaaa), ARES_SUCCESS,
                              checked(response("t1.example.com", dns::kTypeAaaa, {aaaa("t1.example.com", "fd00::1")})),
                              kT0 + 5, resolver));
  EXPECT_EQ(found(watch), (Strings{"[fd00::1]:8080 w=1 p=1"}));
}

// prefer: both, an A record in the additional section: the target is settled, no AAAA asked.
// Without any: both asked; an IPv4-only target's AAAA NODATA is an empty answer, asked again
// after 5 s, not every second, and no problem.
TEST(NameWatch, AnIpv4OnlySrvTargetIsAskedForAaaaEveryFiveSeconds) {
  const auto resolver = defaults();
  {
    NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::both);
    watch.due(kT0);
    watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
                    checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 1, 1, 8080, "t1.example.com")},
                                     {a("t1.example.com", "10.0.0.1")})),
                    kT0, resolver);
    EXPECT_EQ(found(watch), (Strings{"10.0.0.1:8080 w=1 p=1"}));
    EXPECT_TRUE(watch.due(kT0).empty());
  }
  NameWatch watch(config::DiscoveryKind::srv, kSrvName, config::AddressPreference::both);
  watch.due(kT0);
  watch.on_result(key(kSrvName, dns::kTypeSrv), ARES_SUCCESS,
                  checked(response(kSrvName, dns::kTypeSrv, {srv(kSrvName, 1, 1, 8080, "t1.example.com")})), kT0,
                  resolver);
  EXPECT_EQ(texts(watch.due(kT0)), (Strings{"t1.example.com A", "t1.example.com AAAA"}));
  watch.on_result(key("t1.example.com", dns::kTypeA), ARES_SUCCESS,
                  checked(response("t1.example.com", dns::kTypeA, {a("t1.example.com", "10.0.0.1")})), kT0 + 5,
                  resolver);
  watch.on_result(key("t1.example.com", dns::kTypeAaaa), ARES_ENODATA, {}, kT0 + 5, resolver);
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:8080 w=1 p=1"}));
  EXPECT_EQ(watch.problem(), "");
  EXPECT_TRUE(watch.due(kT0 + 5 + 4'999).empty());
  EXPECT_EQ(texts(watch.due(kT0 + 5 + 5'000)), (Strings{"t1.example.com AAAA"}));
}

// A reload that changes prefer keeps the addresses of the family still wanted.
TEST(NameWatch, ChangingThePreferenceKeepsTheFamilyStillWanted) {
  NameWatch watch(config::DiscoveryKind::address, kName, config::AddressPreference::both);
  const auto resolver = defaults();
  watch.due(kT0);
  watch.on_result(key(kName, dns::kTypeA), ARES_SUCCESS, checked(response(kName, dns::kTypeA, {a(kName, "10.0.0.1")})),
                  kT0, resolver);
  watch.on_result(key(kName, dns::kTypeAaaa), ARES_SUCCESS,
                  checked(response(kName, dns::kTypeAaaa, {aaaa(kName, "fd00::1")})), kT0, resolver);
  watch.set_prefer(config::AddressPreference::ipv4);
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0"}));
  EXPECT_TRUE(watch.due(kT0 + 1).empty()) << "the A query keeps its schedule";
  watch.set_prefer(config::AddressPreference::both);
  EXPECT_EQ(texts(watch.due(kT0 + 1)), (Strings{"app.example.com AAAA"})) << "a newly wanted family is asked at once";
  EXPECT_EQ(found(watch), (Strings{"10.0.0.1:0 w=0 p=0"}));
}

}  // namespace fulcrum::discovery::name_watch_test
