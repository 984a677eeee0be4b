#include "dns/response.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::dns {
namespace response_test {

using Bytes = std::vector<uint8_t>;

constexpr uint16_t kTypeTxt = 16;
constexpr uint16_t kClassChaos = 3;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}

// Writes the labels of `name` ("" = the root alone); ends with the root unless `then_pointer`
// is set, when the caller writes a pointer next. Returns where the name starts (for pointers).
size_t put_labels(Bytes& b, std::string_view name, bool then_pointer = false) {
  const size_t start = b.size();
  while (!name.empty()) {
    const size_t dot = std::min(name.find('.'), name.size());
    b.push_back(static_cast<uint8_t>(dot));
    b.insert(b.end(), name.begin(), name.begin() + static_cast<long>(dot));
    name.remove_prefix(std::min(dot + 1, name.size()));
  }
  if (!then_pointer) b.push_back(0);
  return start;
}

size_t put_pointer(Bytes& b, size_t offset) {
  EXPECT_LT(offset, 0x4000u) << "a pointer has 14 bits";
  const size_t start = b.size();
  put16(b, static_cast<uint16_t>(0xC000 | offset));
  return start;
}

// A header (flags: QR, RD, RA and the rcode by default) and one question; set_counts fills in
// the sections' counts once the records are written.
Bytes response_start(std::string_view question, uint16_t type, uint16_t flags = 0x8180) {
  Bytes b;
  put16(b, 0x1234);
  put16(b, flags);
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  put_labels(b, question);
  put16(b, type);
  put16(b, kClassIn);
  return b;
}

void set_counts(Bytes& b, uint16_t answers, uint16_t authority, uint16_t additional) {
  b[6] = static_cast<uint8_t>(answers >> 8);
  b[7] = static_cast<uint8_t>(answers);
  b[8] = static_cast<uint8_t>(authority >> 8);
  b[9] = static_cast<uint8_t>(authority);
  b[10] = static_cast<uint8_t>(additional >> 8);
  b[11] = static_cast<uint8_t>(additional);
}

// After the owner name: type, class, TTL and a placeholder RDLENGTH, whose offset is returned
// for end_rdata to fill in once the data is written.
size_t begin_rdata(Bytes& b, uint16_t type, uint32_t ttl, uint16_t klass = kClassIn) {
  put16(b, type);
  put16(b, klass);
  put32(b, ttl);
  const size_t at = b.size();
  put16(b, 0);
  return at;
}

void end_rdata(Bytes& b, size_t rdlength_at) {
  const size_t length = b.size() - rdlength_at - 2;
  b[rdlength_at] = static_cast<uint8_t>(length >> 8);
  b[rdlength_at + 1] = static_cast<uint8_t>(length);
}

// A record of `data` with the owner a pointer to `owner_at`.
void put_record(Bytes& b, size_t owner_at, uint16_t type, uint32_t ttl, const Bytes& data) {
  put_pointer(b, owner_at);
  const size_t at = begin_rdata(b, type, ttl);
  b.insert(b.end(), data.begin(), data.end());
  end_rdata(b, at);
}

void put_opt(Bytes& b) {
  b.push_back(0);
  const size_t at = begin_rdata(b, kTypeOpt, 0, 1232);
  end_rdata(b, at);
}

std::string repeat(char c, size_t n) { return std::string(n, c); }

Address v6(uint8_t last) {
  Address a{16, {}};
  a.bytes[0] = 0x20;
  a.bytes[1] = 0x01;
  a.bytes[2] = 0x0d;
  a.bytes[3] = 0xb8;
  a.bytes[15] = last;
  return a;
}

Bytes bytes_of(const Address& a) { return Bytes(a.bytes.begin(), a.bytes.begin() + a.length); }

ResponseError decode(const Bytes& packet, Response& out) { return decode_response(packet, out); }

// The SRV answer a discovery lookup gets: three SRV records whose targets are compressed three
// ways (labels then a pointer into the question, uncompressed and upper case, a pointer to an
// earlier target), their addresses in the additional section (owners pointing into the SRV
// data) and an OPT record.
Bytes srv_response() {
  Bytes b = response_start("_http._tcp.svc.example.com", kTypeSrv);
  const size_t svc_example_com = 12 + 1 + 5 + 1 + 4;
  put_pointer(b, 12);
  size_t at = begin_rdata(b, kTypeSrv, 300);
  put16(b, 10);
  put16(b, 60);
  put16(b, 8080);
  const size_t a_target = put_labels(b, "a", true);
  put_pointer(b, svc_example_com);
  end_rdata(b, at);

  put_pointer(b, 12);
  at = begin_rdata(b, kTypeSrv, 300);
  put16(b, 20);
  put16(b, 0);
  put16(b, 8081);
  const size_t b_target = put_labels(b, "B.Svc.Example.COM");
  end_rdata(b, at);

  put_pointer(b, 12);
  at = begin_rdata(b, kTypeSrv, 120);
  put16(b, 10);
  put16(b, 40);
  put16(b, 9090);
  put_pointer(b, a_target);
  end_rdata(b, at);

  put_record(b, a_target, kTypeA, 60, {10, 0, 0, 1});
  put_record(b, a_target, kTypeAaaa, 60, bytes_of(v6(1)));
  put_record(b, b_target, kTypeA, 30, {10, 0, 0, 2});
  put_opt(b);
  set_counts(b, 3, 0, 4);
  return b;
}

// What every decoded response must satisfy, whatever the packet held. Returns "" or what broke.
std::string broken_invariant(const Response& response, size_t packet_size) {
  auto name_ok = [](const std::string& name) {
    if (name.size() > 253) return false;
    if (!name.empty() && (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)) {
      return false;
    }
    for (char c : name) {
      if (c < 0x21 || c > 0x7E || (c >= 'A' && c <= 'Z')) return false;
    }
    return true;
  };
  if (!name_ok(response.question_name)) return "question name " + response.question_name;
  if ((response.answers.size() + response.additional.size()) * 11 > packet_size) return "more records than bytes";
  for (const auto* section : {&response.answers, &response.additional}) {
    for (const auto& record : *section) {
      if (!name_ok(record.owner) || !name_ok(record.srv.target) || !name_ok(record.cname)) return "record name";
      if (record.klass != kClassIn) return "kept a record of another class";
      if (record.ttl > 0x7FFFFFFFu) return "TTL with the top bit set";
      const bool address = record.type == kTypeA || record.type == kTypeAaaa;
      if (!address && record.type != kTypeSrv && record.type != kTypeCname) return "kept a record of another type";
      const size_t length = record.type == kTypeA ? 4 : record.type == kTypeAaaa ? 16 : 0;
      if (record.address.length != length) return "address length does not match the type";
    }
  }
  return "";
}

TEST(DnsResponse, AddressAnswersWithTheirTtls) {
  Bytes b = response_start("Svc.Example.COM", kTypeA, 0x8580);  // QR, AA, RD, RA
  put_record(b, 12, kTypeA, 300, {192, 0, 2, 1});
  put_record(b, 12, kTypeA, 60, {192, 0, 2, 2});
  put_labels(b, "svc.example.com");  // uncompressed owner
  const size_t at = begin_rdata(b, kTypeAaaa, 30);
  const Bytes six = bytes_of(v6(1));
  b.insert(b.end(), six.begin(), six.end());
  end_rdata(b, at);
  set_counts(b, 3, 0, 0);

  Response response;
  ASSERT_EQ(decode(b, response), ResponseError::none);
  EXPECT_EQ(response.id, 0x1234);
  EXPECT_EQ(response.rcode, Rcode::no_error);
  EXPECT_TRUE(response.authoritative);
  EXPECT_FALSE(response.truncated);
  EXPECT_EQ(response.question_name, "svc.example.com");
  EXPECT_EQ(response.question_type, kTypeA);
  ASSERT_EQ(response.answers.size(), 3u);
  EXPECT_TRUE(response.additional.empty());
  EXPECT_EQ(response.answers[0].owner, "svc.example.com");
  EXPECT_EQ(response.answers[0].type, kTypeA);
  EXPECT_EQ(response.answers[0].klass, kClassIn);
  EXPECT_EQ(response.answers[0].ttl, 300u);
  EXPECT_EQ(response.answers[0].address.length, 4);
  EXPECT_EQ(response.answers[0].address.bytes[0], 192);
  EXPECT_EQ(response.answers[0].address.bytes[3], 1);
  EXPECT_EQ(response.answers[1].ttl, 60u);
  EXPECT_EQ(response.answers[1].address.bytes[3], 2);
  EXPECT_EQ(response.answers[2].owner, "svc.example.com");
  EXPECT_EQ(response.answers[2].type, kTypeAaaa);
  EXPECT_EQ(response.answers[2].ttl, 30u);
  EXPECT_EQ(response.answers[2].address.length, 16);
  EXPECT_EQ(response.answers[2].address.bytes, v6(1).bytes);
}

TEST(DnsResponse, TtlWithTheTopBitSetReadsAsZero) {
  Bytes b = response_start("svc.example.com", kTypeA);
  put_record(b, 12, kTypeA, 0x80000001u, {192, 0, 2, 1});
  put_record(b, 12, kTypeA, 0xFFFFFFFFu, {192, 0, 2, 2});
  put_record(b, 12, kTypeA, 0x7FFFFFFFu, {192, 0, 2, 3});
  set_counts(b, 3, 0, 0);
  Response response;
  ASSERT_EQ(decode(b, response), ResponseError::none);
  ASSERT_EQ(response.answers.size(), 3u);
  EXPECT_EQ(response.answers[0].ttl, 0u);
  EXPECT_EQ(response.answers[1].ttl, 0u);
  EXPECT_EQ(response.answers[2].ttl, 0x7FFFFFFFu);
}

TEST(DnsResponse, SrvWithAdditionalAddressesAndCompressedNames) {
  Response response;
  ASSERT_EQ(decode(srv_response(), response), ResponseError::none);
  EXPECT_EQ(response.question_name, "_http._tcp.svc.example.com");
  EXPECT_EQ(response.question_type, kTypeSrv);
  ASSERT_EQ(response.answers.size(), 3u);
  const auto& first = response.answers[0];
  EXPECT_EQ(first.owner, "_http._tcp.svc.example.com");
  EXPECT_EQ(first.type, kTypeSrv);
  EXPECT_EQ(first.ttl, 300u);
  EXPECT_EQ(first.srv.priority, 10);
  EXPECT_EQ(first.srv.weight, 60);
  EXPECT_EQ(first.srv.port, 8080);
  EXPECT_EQ(first.srv.target, "a.svc.example.com");
  EXPECT_EQ(response.answers[1].srv.target, "b.svc.example.com");  // lower-cased
  EXPECT_EQ(response.answers[1].srv.port, 8081);
  EXPECT_EQ(response.answers[2].srv.target, "a.svc.example.com");  // a pointer to a pointer
  EXPECT_EQ(response.answers[2].srv.port, 9090);
  EXPECT_EQ(response.answers[2].ttl, 120u);

  ASSERT_EQ(response.additional.size(), 3u);  // the OPT record is skipped
  EXPECT_EQ(response.additional[0].owner, "a.svc.example.com");
  EXPECT_EQ(response.additional[0].type, kTypeA);
  EXPECT_EQ(response.additional[0].address.bytes[3], 1);
  EXPECT_EQ(response.additional[1].owner, "a.svc.example.com");
  EXPECT_EQ(response.additional[1].type, kTypeAaaa);
  EXPECT_EQ(response.additional[1].address.bytes, v6(1).bytes);
  EXPECT_EQ(response.additional[2].owner, "b.svc.example.com");
  EXPECT_EQ(response.additional[2].ttl, 30u);
  EXPECT_EQ(response.additional[2].address.bytes[3], 2);
}

TEST(DnsResponse, CnameChainIsKept) {
  Bytes b = response_start("www.example.com", kTypeA);
  put_pointer(b, 12);
  size_t at = begin_rdata(b, kTypeCname, 3600);
  const size_t edge = put_labels(b, "edge.example.net");
  end_rdata(b, at);
  put_pointer(b, edge);
  at = begin_rdata(b, kTypeCname, 60);
  const size_t lb = put_labels(b, "lb", true);
  put_pointer(b, edge + 5);  // "example.net"
  end_rdata(b, at);
  put_record(b, lb, kTypeA, 20, {198, 51, 100, 7});
  set_counts(b, 3, 0, 0);

  Response response;
  ASSERT_EQ(decode(b, response), ResponseError::none);
  ASSERT_EQ(response.answers.size(), 3u);
  EXPECT_EQ(response.answers[0].owner, "www.example.com");
  EXPECT_EQ(response.answers[0].type, kTypeCname);
  EXPECT_EQ(response.answers[0].cname, "edge.example.net");
  EXPECT_EQ(response.answers[0].ttl, 3600u);
  EXPECT_EQ(response.answers[1].owner, "edge.example.net");
  EXPECT_EQ(response.answers[1].cname, "lb.example.net");
  EXPECT_EQ(response.answers[2].owner, "lb.example.net");
  EXPECT_EQ(response.answers[2].type, kTypeA);
  EXPECT_EQ(response.answers[2].address.bytes[0], 198);
}

TEST(DnsResponse, NegativeRcodesDecodeWithNoAnswers) {
  // NXDOMAIN with the zone's SOA in authority (walked, not kept).
  Bytes nxdomain = response_start("gone.example.com", kTypeA, 0x8583);
  const size_t zone = 12 + 5;  // "example.com"
  put_pointer(nxdomain, zone);
  const size_t at = begin_rdata(nxdomain, kTypeSoa, 30);
  put_labels(nxdomain, "ns", true);
  put_pointer(nxdomain, zone);
  put_labels(nxdomain, "hostmaster", true);
  put_pointer(nxdomain, zone);
  for (uint32_t v : {1u, 3600u, 600u, 1209600u, 30u}) put32(nxdomain, v);
  end_rdata(nxdomain, at);
  set_counts(nxdomain, 0, 1, 0);
  Response response;
  ASSERT_EQ(decode(nxdomain, response), ResponseError::none);
  EXPECT_EQ(response.rcode, Rcode::name_error);
  EXPECT_EQ(response.raw_rcode, 3);
  EXPECT_EQ(response.question_name, "gone.example.com");
  EXPECT_TRUE(response.answers.empty());
  EXPECT_TRUE(response.additional.empty());

  Bytes servfail = response_start("svc.example.com", kTypeSrv, 0x8182);
  ASSERT_EQ(decode(servfail, response), ResponseError::none);
  EXPECT_EQ(response.rcode, Rcode::server_failure);
  EXPECT_EQ(response.raw_rcode, 2);
  EXPECT_FALSE(response.authoritative);
  EXPECT_TRUE(response.answers.empty());

  Bytes notauth = response_start("svc.example.com", kTypeSrv, 0x8189);  // 9: no Rcode names it
  ASSERT_EQ(decode(notauth, response), ResponseError::none);
  EXPECT_EQ(response.raw_rcode, 9);
  EXPECT_EQ(static_cast<uint8_t>(response.rcode), 9);
}

TEST(DnsResponse, TruncatedBitIsDecoded) {
  Bytes b = response_start("svc.example.com", kTypeSrv, 0x8380);  // QR, TC, RD, RA
  Response response;
  ASSERT_EQ(decode(b, response), ResponseError::none);
  EXPECT_TRUE(response.truncated);
  EXPECT_TRUE(response.answers.empty());
}

TEST(DnsResponse, SkipsOtherTypesOtherClassesAndOpt) {
  Bytes b = response_start("svc.example.com", kTypeA);
  put_record(b, 12, kTypeTxt, 60, {3, 'a', 'b', 'c'});
  put_pointer(b, 12);
  size_t at = begin_rdata(b, kTypeA, 60, kClassChaos);
  b.insert(b.end(), {1, 2, 3, 4, 5});  // not IN: its data is not checked
  end_rdata(b, at);
  put_record(b, 12, kTypeA, 60, {192, 0, 2, 1});
  put_opt(b);
  set_counts(b, 3, 0, 1);
  Response response;
  ASSERT_EQ(decode(b, response), ResponseError::none);
  ASSERT_EQ(response.answers.size(), 1u);
  EXPECT_EQ(response.answers[0].address.bytes[3], 1);
  EXPECT_TRUE(response.additional.empty());
}

TEST(DnsResponse, ThousandSrvAndThousandAddressesAsOverTcp) {
  // As a server compresses: SRV targets end in a pointer to "example.com" in the question; an
  // address's owner points at its SRV target while that lies within a pointer's 14 bits
  // (16 KB), and repeats the target's label in front of that pointer beyond.
  Bytes b = response_start("_svc._tcp.example.com", kTypeSrv);
  const size_t example_com = 12 + 1 + 4 + 1 + 4;
  std::vector<size_t> targets;
  auto label = [](uint16_t i) {
    char host[16];
    std::snprintf(host, sizeof host, "backend-%04u", static_cast<unsigned>(i));
    return std::string(host);
  };
  for (uint16_t i = 0; i < 1000; ++i) {
    put_pointer(b, 12);
    const size_t at = begin_rdata(b, kTypeSrv, 60);
    put16(b, 1);
    put16(b, static_cast<uint16_t>(i % 100));
    put16(b, static_cast<uint16_t>(10000 + i));
    targets.push_back(put_labels(b, label(i), true));
    put_pointer(b, example_com);
    end_rdata(b, at);
  }
  for (uint16_t i = 0; i < 1000; ++i) {
    if (targets[i] < 0x4000) {
      put_pointer(b, targets[i]);
    } else {
      put_labels(b, label(i), true);
      put_pointer(b, example_com);
    }
    const size_t at = begin_rdata(b, kTypeA, 30);
    b.insert(b.end(), {10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
    end_rdata(b, at);
  }
  set_counts(b, 1000, 0, 1000);
  ASSERT_GT(b.size(), 50000u);
  ASSERT_LE(b.size(), 65535u);

  Response response;
  ASSERT_EQ(decode(b, response), ResponseError::none);
  ASSERT_EQ(response.answers.size(), 1000u);
  ASSERT_EQ(response.additional.size(), 1000u);
  EXPECT_EQ(response.answers[999].srv.target, "backend-0999.example.com");
  EXPECT_EQ(response.answers[999].srv.port, 10999);
  EXPECT_EQ(response.additional[0].owner, "backend-0000.example.com");
  EXPECT_EQ(response.additional[999].owner, "backend-0999.example.com");
  EXPECT_EQ(response.additional[999].address.bytes[2], 999 >> 8);
  EXPECT_EQ(response.additional[999].address.bytes[3], 999 & 0xFF);
}

TEST(DnsResponse, ErrorsReadAsDistinctSentences) {
  std::set<std::string> seen;
  for (auto error : {ResponseError::none, ResponseError::too_short, ResponseError::not_a_response,
                     ResponseError::bad_question_count, ResponseError::bad_name, ResponseError::compression_loop,
                     ResponseError::truncated, ResponseError::too_many_records, ResponseError::bad_record_data,
                     ResponseError::trailing_bytes}) {
    const std::string text = to_string(error);
    EXPECT_FALSE(text.empty());
    EXPECT_TRUE(seen.insert(text).second) << text;
  }
}

TEST(DnsResponseHostile, TooShortAQueryAndQuestionCounts) {
  Response response;
  Bytes b = response_start("svc.example.com", kTypeA);
  EXPECT_EQ(decode_response(std::span(b.data(), 11), response), ResponseError::too_short);
  EXPECT_EQ(decode_response({}, response), ResponseError::too_short);
  Bytes query = response_start("svc.example.com", kTypeA, 0x0100);  // QR clear
  EXPECT_EQ(decode(query, response), ResponseError::not_a_response);
  Bytes two = b;
  two[5] = 2;
  EXPECT_EQ(decode(two, response), ResponseError::bad_question_count);
  Bytes none = b;
  none[5] = 0;
  EXPECT_EQ(decode(none, response), ResponseError::bad_question_count);
}

TEST(DnsResponseHostile, RdlengthPastTheEndIsTruncated) {
  Bytes b = response_start("svc.example.com", kTypeA);
  put_record(b, 12, kTypeA, 60, {192, 0, 2, 1});
  b.pop_back();  // RDLENGTH says 4, 3 bytes are left
  set_counts(b, 1, 0, 0);
  Response response;
  EXPECT_EQ(decode(b, response), ResponseError::truncated);
  // The same with a skipped type: its length is still checked.
  Bytes txt = response_start("svc.example.com", kTypeA);
  put_record(txt, 12, kTypeTxt, 60, {3, 'a', 'b', 'c'});
  txt.pop_back();
  set_counts(txt, 1, 0, 0);
  EXPECT_EQ(decode(txt, response), ResponseError::truncated);
}

TEST(DnsResponseHostile, EveryPrefixOfAValidResponseIsRefused) {
  const Bytes good = srv_response();
  Response response;
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_NE(decode_response(std::span(good.data(), n), response), ResponseError::none) << n;
  }
}

TEST(DnsResponseHostile, PointersThatDoNotGoBackwardsAreLoops) {
  Response response;
  // A pointer to itself.
  Bytes self = response_start("svc.example.com", kTypeA);
  put_pointer(self, self.size());
  size_t at = begin_rdata(self, kTypeA, 60);
  self.insert(self.end(), {192, 0, 2, 1});
  end_rdata(self, at);
  set_counts(self, 1, 0, 0);
  EXPECT_EQ(decode(self, response), ResponseError::compression_loop);

  // A pointer forward, to a well-formed name further on.
  Bytes forward = response_start("svc.example.com", kTypeA);
  const size_t owner = forward.size();
  put_pointer(forward, owner + 2 + 10 + 4);
  at = begin_rdata(forward, kTypeA, 60);
  forward.insert(forward.end(), {192, 0, 2, 1});
  end_rdata(forward, at);
  put_labels(forward, "svc.example.com");
  at = begin_rdata(forward, kTypeA, 60);
  forward.insert(forward.end(), {192, 0, 2, 2});
  end_rdata(forward, at);
  set_counts(forward, 2, 0, 0);
  EXPECT_EQ(decode(forward, response), ResponseError::compression_loop);

  // Backwards from where it stands, but into its own name: "x" then a pointer to the "x".
  Bytes own = response_start("svc.example.com", kTypeA);
  const size_t x = put_labels(own, "x", true);
  put_pointer(own, x);
  at = begin_rdata(own, kTypeA, 60);
  own.insert(own.end(), {192, 0, 2, 1});
  end_rdata(own, at);
  set_counts(own, 1, 0, 0);
  EXPECT_EQ(decode(own, response), ResponseError::compression_loop);

  // A first jump backwards, to bytes (inside a skipped record's data) that loop.
  Bytes hidden = response_start("svc.example.com", kTypeA);
  put_pointer(hidden, 12);
  at = begin_rdata(hidden, kTypeTxt, 60);
  const size_t gadget = put_labels(hidden, "x", true);
  put_pointer(hidden, gadget);
  end_rdata(hidden, at);
  put_record(hidden, gadget, kTypeA, 60, {192, 0, 2, 1});
  set_counts(hidden, 2, 0, 0);
  EXPECT_EQ(decode(hidden, response), ResponseError::compression_loop);

  // In SRV data as well.
  Bytes srv = response_start("_http._tcp.svc.example.com", kTypeSrv);
  put_pointer(srv, 12);
  at = begin_rdata(srv, kTypeSrv, 60);
  put16(srv, 1);
  put16(srv, 1);
  put16(srv, 80);
  put_pointer(srv, srv.size());
  end_rdata(srv, at);
  set_counts(srv, 1, 0, 0);
  EXPECT_EQ(decode(srv, response), ResponseError::compression_loop);
}

TEST(DnsResponseHostile, ChainsOfPointersAreCapped) {
  // In a skipped record's data: "end" then a pointer to the question, and after it a chain of
  // pointers, each to the one before. An owner pointing at the k-th link takes k + 2 jumps.
  auto with_chain = [](size_t k) {
    Bytes b = response_start("svc.example.com", kTypeA);
    put_pointer(b, 12);
    const size_t at = begin_rdata(b, kTypeTxt, 60);
    std::vector<size_t> links{put_labels(b, "end", true)};
    put_pointer(b, 12);
    for (size_t i = 0; i < 200; ++i) links.push_back(put_pointer(b, links.back()));
    end_rdata(b, at);
    put_record(b, links[k], kTypeA, 60, {192, 0, 2, 1});
    set_counts(b, 2, 0, 0);
    return b;
  };
  Response response;
  ASSERT_EQ(decode(with_chain(kMaxCompressionJumps - 2), response), ResponseError::none);
  ASSERT_EQ(response.answers.size(), 1u);
  EXPECT_EQ(response.answers[0].owner, "end.svc.example.com");
  EXPECT_EQ(decode(with_chain(kMaxCompressionJumps - 1), response), ResponseError::compression_loop);
}

TEST(DnsResponseHostile, HeaderClaimingTenThousandAnswers) {
  Bytes b = response_start("svc.example.com", kTypeA);
  put_record(b, 12, kTypeA, 60, {192, 0, 2, 1});
  set_counts(b, 10000, 0, 0);
  Response response;
  EXPECT_EQ(decode(b, response), ResponseError::too_many_records);
  EXPECT_EQ(response.answers.capacity(), 0u);  // refused before any work
  // Under the 8192 cap, the packet's room is what refuses: 16 bytes are left after the
  // question, room for one record of 11 bytes.
  set_counts(b, 5000, 0, 0);
  EXPECT_EQ(decode(b, response), ResponseError::too_many_records);
  EXPECT_EQ(response.answers.capacity(), 0u);
  set_counts(b, 1, 0, 1);
  EXPECT_EQ(decode(b, response), ResponseError::too_many_records);
  set_counts(b, 1, 1, 0);
  EXPECT_EQ(decode(b, response), ResponseError::too_many_records);
}

TEST(DnsResponseHostile, AtMost8192RecordsEvenWhenTheyFit) {
  // Smallest records (root owner, no data): 8192 of them are read, one more is refused, though
  // a packet past 64 KB (not from c-ares) would have room for it.
  auto smallest = [](uint16_t count) {
    Bytes b = response_start("svc.example.com", kTypeA);
    for (uint16_t i = 0; i < count; ++i) {
      b.push_back(0);
      end_rdata(b, begin_rdata(b, kTypeTxt, 0));
    }
    set_counts(b, count, 0, 0);
    return b;
  };
  Response response;
  EXPECT_EQ(decode(smallest(8192), response), ResponseError::none);
  EXPECT_EQ(decode(smallest(8193), response), ResponseError::too_many_records);
}

TEST(DnsResponseHostile, RecordDataOfTheWrongLength) {
  Response response;
  Bytes five = response_start("svc.example.com", kTypeA);
  put_record(five, 12, kTypeA, 60, {192, 0, 2, 1, 0});
  set_counts(five, 1, 0, 0);
  EXPECT_EQ(decode(five, response), ResponseError::bad_record_data);
  Bytes aaaa = response_start("svc.example.com", kTypeAaaa);
  put_record(aaaa, 12, kTypeAaaa, 60, {192, 0, 2, 1});
  set_counts(aaaa, 1, 0, 0);
  EXPECT_EQ(decode(aaaa, response), ResponseError::bad_record_data);
  Bytes srv = response_start("svc.example.com", kTypeSrv);
  put_record(srv, 12, kTypeSrv, 60, {0, 1, 0, 1, 0, 80});  // no target at all
  set_counts(srv, 1, 0, 0);
  EXPECT_EQ(decode(srv, response), ResponseError::bad_record_data);
  // The same lengths are checked in the authority section, which is not kept.
  Bytes authority = response_start("svc.example.com", kTypeA);
  put_record(authority, 12, kTypeA, 60, {192, 0, 2, 1, 0});
  set_counts(authority, 0, 1, 0);
  EXPECT_EQ(decode(authority, response), ResponseError::bad_record_data);
}

TEST(DnsResponseHostile, NamesInRecordDataMustEndIt) {
  Response response;
  // SRV whose RDLENGTH stops inside the target: the name runs on into the next record.
  Bytes past = response_start("svc.example.com", kTypeSrv);
  put_pointer(past, 12);
  size_t at = begin_rdata(past, kTypeSrv, 60);
  put16(past, 1);
  put16(past, 1);
  put16(past, 80);
  put_labels(past, "target.example.com");
  end_rdata(past, at);
  past[at + 1] = static_cast<uint8_t>(past[at + 1] - 5);
  set_counts(past, 1, 0, 0);
  EXPECT_EQ(decode(past, response), ResponseError::bad_record_data);

  // SRV with a byte after its target.
  Bytes extra = response_start("svc.example.com", kTypeSrv);
  put_pointer(extra, 12);
  at = begin_rdata(extra, kTypeSrv, 60);
  put16(extra, 1);
  put16(extra, 1);
  put16(extra, 80);
  put_pointer(extra, 12);
  extra.push_back(0);
  end_rdata(extra, at);
  set_counts(extra, 1, 0, 0);
  EXPECT_EQ(decode(extra, response), ResponseError::bad_record_data);

  // A CNAME of one byte that is the start of a pointer.
  Bytes cname = response_start("svc.example.com", kTypeA);
  put_record(cname, 12, kTypeCname, 60, {0xC0});
  cname.push_back(12);  // the pointer's second byte, just past the data: only RDLENGTH refuses it
  set_counts(cname, 1, 0, 0);
  EXPECT_EQ(decode(cname, response), ResponseError::bad_record_data);
  // A CNAME with a byte after its name.
  Bytes long_cname = response_start("svc.example.com", kTypeA);
  put_record(long_cname, 12, kTypeCname, 60, {0xC0, 12, 0});
  set_counts(long_cname, 1, 0, 0);
  EXPECT_EQ(decode(long_cname, response), ResponseError::bad_record_data);
}

TEST(DnsResponseHostile, TrailingBytes) {
  Bytes b = srv_response();
  b.push_back(0);
  Response response;
  EXPECT_EQ(decode(b, response), ResponseError::trailing_bytes);
}

TEST(DnsResponseHostile, LabelsOver63AndNamesOver255) {
  Response response;
  const std::string label63 = repeat('a', 63);
  Bytes ok = response_start(label63 + ".example.com", kTypeA);
  EXPECT_EQ(decode(ok, response), ResponseError::none);
  Bytes label64 = response_start(repeat('a', 64) + ".example.com", kTypeA);
  EXPECT_EQ(decode(label64, response), ResponseError::bad_name);
  Bytes owner64 = response_start("svc.example.com", kTypeA);
  put_labels(owner64, repeat('b', 64), true);
  put_pointer(owner64, 12);
  end_rdata(owner64, begin_rdata(owner64, kTypeTxt, 0));
  set_counts(owner64, 1, 0, 0);
  EXPECT_EQ(decode(owner64, response), ResponseError::bad_name);

  // 3 × (1 + 63) + (1 + 61) + the root = 255 wire bytes; one more letter makes 256.
  const std::string name255 = label63 + "." + label63 + "." + label63 + "." + repeat('c', 61);
  Bytes longest = response_start(name255, kTypeA);
  ASSERT_EQ(decode(longest, response), ResponseError::none);
  EXPECT_EQ(response.question_name.size(), 253u);
  Bytes name256 = response_start(name255 + "c", kTypeA);
  EXPECT_EQ(decode(name256, response), ResponseError::bad_name);
  // Past 255 through a pointer: one label in front of the longest name.
  Bytes compressed = response_start(name255, kTypeA);
  put_labels(compressed, "d", true);
  put_pointer(compressed, 12);
  end_rdata(compressed, begin_rdata(compressed, kTypeTxt, 0));
  set_counts(compressed, 1, 0, 0);
  EXPECT_EQ(decode(compressed, response), ResponseError::bad_name);
}

TEST(DnsResponseHostile, LabelTypesAndBytesNoHostNameHas) {
  Response response;
  const Bytes good = response_start("svc.example.com", kTypeA);
  for (uint8_t type : {0x40, 0x80, 0x7F, 0xBF}) {  // extended (01) and reserved (10) label types
    Bytes b = good;
    b[12] = type;
    EXPECT_EQ(decode(b, response), ResponseError::bad_name) << int{type};
  }
  for (uint8_t odd : {0x2E, 0x20, 0x00, 0x1F, 0x7F, 0x80, 0xFF}) {  // '.', ' ', controls, non-ASCII
    Bytes b = good;
    b[14] = odd;  // inside "svc"
    EXPECT_EQ(decode(b, response), ResponseError::bad_name) << int{odd};
  }
  Bytes pointer_in_question = good;  // it could only point into the header
  pointer_in_question[12] = 0xC0;
  pointer_in_question[13] = 0;
  EXPECT_EQ(decode(pointer_in_question, response), ResponseError::bad_name);
  Bytes pointer_to_header = good;
  put_pointer(pointer_to_header, 4);
  end_rdata(pointer_to_header, begin_rdata(pointer_to_header, kTypeTxt, 0));
  set_counts(pointer_to_header, 1, 0, 0);
  EXPECT_EQ(decode(pointer_to_header, response), ResponseError::bad_name);
}

TEST(DnsResponseProperty, RandomByteFlipsNeverBreakTheDecoder) {
  // Run under ASan by CI: any read past the packet (an exact-size copy) is caught there.
  const Bytes good = srv_response();
  std::mt19937 random(20240607);
  size_t decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i) b[random() % b.size()] = static_cast<uint8_t>(random());
    if (round % 8 == 0) b.resize(random() % (b.size() + 1));
    Response response;
    if (decode(b, response) != ResponseError::none) continue;
    ++decoded;
    ASSERT_EQ(broken_invariant(response, b.size()), "") << "round " << round;
  }
  // Both outcomes occur: the flips reach the checks and leave some packets valid.
  EXPECT_GT(decoded, 100u);
  EXPECT_LT(decoded, 20000u);
}

}  // namespace response_test
}  // namespace fulcrum::dns
