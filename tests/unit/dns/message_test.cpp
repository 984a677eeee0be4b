#include "dns/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fulcrum::dns {
namespace message_test {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

Bytes query_bytes(const std::string& name, uint16_t type, bool edns = false, Bytes options = {}, uint16_t flags = 0x0100) {
  Bytes b;
  put16(b, 0xBEEF);
  put16(b, flags);
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, edns ? 1 : 0);
  size_t start = 0;
  for (size_t dot = name.find('.'); start <= name.size(); dot = name.find('.', start)) {
    if (dot == std::string::npos) dot = name.size();
    b.push_back(static_cast<uint8_t>(dot - start));
    b.insert(b.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  b.push_back(0);
  put16(b, type);
  put16(b, kClassIn);
  if (edns) {
    b.push_back(0);
    put16(b, kTypeOpt);
    put16(b, 4096);
    put16(b, 0);
    put16(b, 0x8000);
    put16(b, static_cast<uint16_t>(options.size()));
    b.insert(b.end(), options.begin(), options.end());
  }
  return b;
}

Bytes ecs_option(uint16_t family, uint8_t prefix, Bytes address, uint8_t scope = 0) {
  Bytes b;
  put16(b, kOptionClientSubnet);
  put16(b, static_cast<uint16_t>(4 + address.size()));
  put16(b, family);
  b.push_back(prefix);
  b.push_back(scope);
  b.insert(b.end(), address.begin(), address.end());
  return b;
}

TEST(DnsDecode, PlainQuery) {
  Bytes packet = query_bytes("WWW.Example.com", kTypeA);
  Query query;
  ASSERT_EQ(decode_query(packet, query), DecodeError::none);
  EXPECT_EQ(query.id, 0xBEEF);
  EXPECT_EQ(query.name_view(), "www.example.com");
  EXPECT_EQ(query.type, kTypeA);
  EXPECT_TRUE(query.recursion_desired);
  EXPECT_FALSE(query.has_edns);
  EXPECT_EQ(query.question_end, packet.size());
  EXPECT_EQ(udp_response_limit(query), 512u);
}

TEST(DnsDecode, EdnsAndClientSubnet) {
  Bytes packet = query_bytes("www.example.com", kTypeAaaa, true, ecs_option(1, 20, {10, 1, 0x20}));
  Query query;
  ASSERT_EQ(decode_query(packet, query), DecodeError::none);
  EXPECT_TRUE(query.has_edns);
  EXPECT_TRUE(query.dnssec_ok);
  EXPECT_EQ(query.udp_payload_size, 4096);
  EXPECT_EQ(udp_response_limit(query), kOurUdpPayloadSize);
  ASSERT_TRUE(query.client_subnet);
  EXPECT_EQ(query.client_subnet->family, 1);
  EXPECT_EQ(query.client_subnet->source_prefix, 20);
  EXPECT_EQ(query.client_subnet->address[0], 10);
  EXPECT_EQ(query.client_subnet->address[2], 0x20);
}

TEST(DnsDecode, RefusesWhatIsNotAWellFormedQuery) {
  Query query;
  Bytes good = query_bytes("a.example.com", kTypeA);
  EXPECT_EQ(decode_query(std::span(good.data(), 11), query), DecodeError::too_short);
  for (size_t cut = 12; cut < good.size(); ++cut) {
    EXPECT_NE(decode_query(std::span(good.data(), cut), query), DecodeError::none) << cut;
  }
  Bytes response = query_bytes("a.example.com", kTypeA, false, {}, 0x8100);
  EXPECT_EQ(decode_query(response, query), DecodeError::not_a_query);
  Bytes two = good;
  two[5] = 2;
  EXPECT_EQ(decode_query(two, query), DecodeError::bad_question_count);
  Bytes pointer = good;
  pointer[12] = 0xC0;
  EXPECT_EQ(decode_query(pointer, query), DecodeError::bad_name);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(decode_query(trailing, query), DecodeError::trailing_bytes);
  // Client Subnet: scope must be 0, address bytes must match the prefix, spare bits zero.
  Bytes scoped = query_bytes("a.example.com", kTypeA, true, ecs_option(1, 24, {10, 1, 2}, 8));
  EXPECT_EQ(decode_query(scoped, query), DecodeError::bad_edns);
  Bytes long_address = query_bytes("a.example.com", kTypeA, true, ecs_option(1, 16, {10, 1, 2}));
  EXPECT_EQ(decode_query(long_address, query), DecodeError::bad_edns);
  Bytes spare_bits = query_bytes("a.example.com", kTypeA, true, ecs_option(1, 20, {10, 1, 0x21}));
  EXPECT_EQ(decode_query(spare_bits, query), DecodeError::bad_edns);
  Bytes too_long_prefix = query_bytes("a.example.com", kTypeA, true, ecs_option(1, 33, {1, 2, 3, 4, 5}));
  EXPECT_EQ(decode_query(too_long_prefix, query), DecodeError::bad_edns);
}

TEST(DnsDecode, OddBytesInLabelsCannotPoseAsDots) {
  Bytes packet = query_bytes("wwwXexample.com", kTypeA);
  packet[12 + 4] = '.';  // "www.example" as one label
  Query query;
  ASSERT_EQ(decode_query(packet, query), DecodeError::none);
  EXPECT_EQ(query.name_view(), "www?example.com");
}

TEST(DnsEncode, AnswersEchoTheQuestionAndPointAtIt) {
  Bytes packet = query_bytes("WwW.example.com", kTypeA, true, ecs_option(1, 24, {192, 0, 2}));
  Query query;
  ASSERT_EQ(decode_query(packet, query), DecodeError::none);
  std::array<Address, 2> addresses{};
  addresses[0] = {4, {192, 0, 2, 1}};
  addresses[1] = {4, {192, 0, 2, 2}};
  Answer answer;
  answer.addresses = addresses;
  answer.ttl = 30;
  std::array<uint8_t, 1232> out{};
  size_t n = encode_response(query, packet, answer, 24, out, udp_response_limit(query));
  // header + question + 2 A records + OPT with ECS (4 + 4 + 3)
  EXPECT_EQ(n, 12 + (packet.size() - 12 - 11 - 11) + 2 * 16 + 11 + 11);
  EXPECT_EQ(out[2], 0x85);  // QR, AA, RD
  EXPECT_EQ(out[3], 0x00);
  EXPECT_EQ(out[7], 2);     // answers
  EXPECT_EQ(out[11], 1);    // OPT
  EXPECT_EQ(std::string(out.begin() + 13, out.begin() + 16), "WwW");  // the client's spelling
  const size_t first = query.question_end;
  EXPECT_EQ(out[first], 0xC0);
  EXPECT_EQ(out[first + 1], 12);
  EXPECT_EQ(out[first + 12], 192);
  EXPECT_EQ(out[first + 15], 1);
  // ECS echoed with our scope.
  EXPECT_EQ(out[n - 4], 24);  // scope prefix
  EXPECT_EQ(out[n - 5], 24);  // source prefix
}

TEST(DnsEncode, NegativeAnswersCarryTheZoneSoa) {
  Bytes packet = query_bytes("nope.example.com", kTypeA);
  Query query;
  ASSERT_EQ(decode_query(packet, query), DecodeError::none);
  Answer answer;
  answer.rcode = Rcode::name_error;
  answer.zone = "example.com";
  answer.negative_ttl = 15;
  std::array<uint8_t, 512> out{};
  size_t n = encode_response(query, packet, answer, 0, out, 512);
  EXPECT_EQ(out[3] & 0x0F, 3);  // NXDOMAIN
  EXPECT_EQ(out[9], 1);         // authority: the SOA
  const size_t soa = query.question_end;
  EXPECT_EQ(out[soa], 0xC0);
  EXPECT_EQ(out[soa + 1], 12 + 5);  // "example.com" inside "nope.example.com"
  EXPECT_EQ(out[soa + 3], kTypeSoa);
  EXPECT_EQ(out[n - 1], 15);  // minimum = negative TTL
}

TEST(DnsEncode, TooManyRecordsForUdpSetsTcAndDropsThem) {
  Bytes packet = query_bytes("big.example.com", kTypeA);
  Query query;
  ASSERT_EQ(decode_query(packet, query), DecodeError::none);
  std::vector<Address> addresses(40, Address{4, {10, 0, 0, 1}});
  Answer answer;
  answer.addresses = addresses;
  std::array<uint8_t, 65535> out{};
  size_t udp = encode_response(query, packet, answer, 0, out, udp_response_limit(query));
  EXPECT_EQ(udp, packet.size());  // header and question only
  EXPECT_TRUE(out[2] & 0x02);
  EXPECT_EQ(out[7], 0);
  size_t tcp = encode_response(query, packet, answer, 0, out, 65535);
  EXPECT_FALSE(out[2] & 0x02);
  EXPECT_EQ(out[7], 40);
  EXPECT_EQ(tcp, packet.size() + 40 * 16);
}

}  // namespace message_test
}  // namespace fulcrum::dns
