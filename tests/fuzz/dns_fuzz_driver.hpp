#pragma once
// What the DNS fuzz target checks for one input, shared with the unit test that replays the
// seed corpus (tests/unit/dns/fuzz_corpus_replay_test.cpp). Returns "" when every invariant
// holds, else what broke. The sanitizers catch out-of-bounds reads and writes on their own.
//
// Invariants: the decoder never reads past the packet; a decoded name is at most 253
// characters of the presentable set; for a decoded query, responses of every size limit fit
// the limit, carry the query's id and its question byte for byte, and either hold every record
// or have TC set.
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dns/message.hpp"

namespace fulcrum::dns::fuzz {

inline std::string run_one(const uint8_t* data, size_t size) {
  std::vector<uint8_t> packet(data, data + size);  // exact size: ASan sees any overread
  Query query;
  if (decode_query(packet, query) != DecodeError::none) return "";
  if (query.name_length > 254) return "name longer than 254 characters";
  for (size_t i = 0; i < query.name_length; ++i) {
    char c = query.name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*' || c == '.' || c == '?';
    if (!ok) return "unpresentable character in a decoded name";
  }
  if (query.question_end < kHeaderSize + 5 || query.question_end > size) return "question_end out of the packet";
  if (query.has_edns && query.udp_payload_size < kClassicUdpLimit) return "EDNS payload size below 512";

  std::array<Address, 6> addresses{};
  for (size_t i = 0; i < addresses.size(); ++i) {
    addresses[i].length = i % 2 ? 16 : 4;
    addresses[i].bytes[0] = static_cast<uint8_t>(i + 1);
  }
  std::string_view name = query.name_view();
  size_t dot = name.find('.');
  Answer answer;
  answer.addresses = addresses;
  answer.ttl = 30;
  answer.zone = dot == std::string_view::npos ? name : name.substr(dot + 1);
  std::vector<uint8_t> out(65535);
  for (size_t limit : {size_t{12}, size_t{100}, kClassicUdpLimit, udp_response_limit(query), size_t{65535}}) {
    size_t length = encode_response(query, packet, answer, 24, out, limit);
    if (length == 0) continue;  // the question alone did not fit: nothing sent
    if (length > limit) return "response longer than its limit";
    if (length < kHeaderSize) return "response shorter than a header";
    if (((out[0] << 8) | out[1]) != query.id) return "response id differs";
    if (!(out[2] & 0x80)) return "response without QR";
    const size_t question = query.question_end - kHeaderSize;
    if (std::memcmp(out.data() + kHeaderSize, packet.data() + kHeaderSize, question) != 0) return "question not echoed";
    const bool truncated = out[2] & 0x02;
    const unsigned answers = (out[6] << 8) | out[7];
    if (!truncated && answers != addresses.size()) return "records missing without TC";
    if (truncated && answers != 0) return "TC with records";
  }
  return "";
}

}  // namespace fulcrum::dns::fuzz
