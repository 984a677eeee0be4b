#include "dns/message.hpp"

#include <algorithm>
#include <cstring>

#include "dns/wire_integers.hpp"

namespace fulcrum::dns {
namespace {

// Bytes a name may keep in presentation form: others become '?', which no configured name holds,
// so an odd byte can neither match a name nor pose as a label separator.
char presentable(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return static_cast<char>(c - 'A' + 'a');
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*') return static_cast<char>(c);
  return '?';
}

// The question name: uncompressed labels (nothing precedes it that a pointer could name).
DecodeError read_question_name(std::span<const uint8_t> packet, size_t& at, Query& out) {
  size_t wire_length = 0;
  out.name_length = 0;
  for (;;) {
    if (at >= packet.size()) return DecodeError::truncated;
    uint8_t length = packet[at++];
    ++wire_length;
    if (length == 0) break;
    if (length > 63) return DecodeError::bad_name;  // a pointer or a reserved label type
    wire_length += length;
    if (wire_length > kMaxNameLength) return DecodeError::bad_name;
    if (at + length > packet.size()) return DecodeError::truncated;
    if (out.name_length > 0) out.name[out.name_length++] = '.';
    for (size_t i = 0; i < length; ++i) out.name[out.name_length++] = presentable(packet[at + i]);
    at += length;
  }
  return DecodeError::none;
}

// Any other owner name: labels ending in the root or in a compression pointer (not followed:
// only its length matters here).
DecodeError skip_name(std::span<const uint8_t> packet, size_t& at) {
  size_t wire_length = 0;
  for (;;) {
    if (at >= packet.size()) return DecodeError::truncated;
    uint8_t length = packet[at];
    if ((length & 0xC0) == 0xC0) {
      if (at + 2 > packet.size()) return DecodeError::truncated;
      at += 2;
      return DecodeError::none;
    }
    if (length > 63) return DecodeError::bad_name;
    at += 1 + length;
    wire_length += 1 + length;
    if (wire_length > kMaxNameLength) return DecodeError::bad_name;
    if (length == 0) return at <= packet.size() ? DecodeError::none : DecodeError::truncated;
  }
}

DecodeError read_options(const uint8_t* p, size_t length, Query& out) {
  size_t at = 0;
  while (at < length) {
    if (length - at < 4) return DecodeError::bad_edns;
    uint16_t code = read16(p + at);
    uint16_t size = read16(p + at + 2);
    at += 4;
    if (size > length - at) return DecodeError::bad_edns;
    if (code == kOptionClientSubnet) {
      if (out.client_subnet || size < 4) return DecodeError::bad_edns;
      ClientSubnet subnet;
      subnet.family = read16(p + at);
      subnet.source_prefix = p[at + 2];
      subnet.scope_prefix = p[at + 3];
      const size_t max_prefix = subnet.family == 1 ? 32 : subnet.family == 2 ? 128 : 0;
      const size_t address_bytes = (subnet.source_prefix + 7u) / 8u;
      // RFC 7871 § 7.1.2: a query's scope is 0, the address has exactly the prefix's bytes and
      // no bit set beyond the prefix.
      if (max_prefix == 0 || subnet.source_prefix > max_prefix || subnet.scope_prefix != 0 ||
          size != 4 + address_bytes) {
        return DecodeError::bad_edns;
      }
      std::memcpy(subnet.address.data(), p + at + 4, address_bytes);
      if (subnet.source_prefix % 8 != 0) {
        uint8_t spare = static_cast<uint8_t>(0xFF >> (subnet.source_prefix % 8));
        if ((subnet.address[address_bytes - 1] & spare) != 0) return DecodeError::bad_edns;
      }
      out.client_subnet = subnet;
    }
    at += size;
  }
  return DecodeError::none;
}

void write16(uint8_t*& p, uint16_t v) {
  *p++ = static_cast<uint8_t>(v >> 8);
  *p++ = static_cast<uint8_t>(v);
}
void write32(uint8_t*& p, uint32_t v) {
  write16(p, static_cast<uint16_t>(v >> 16));
  write16(p, static_cast<uint16_t>(v));
}

constexpr size_t kRecordFixed = 2 + 2 + 2 + 4 + 2;  // pointer name, type, class, ttl, rdlength
constexpr std::string_view kSoaMailbox = "hostmaster";
constexpr std::string_view kSoaServer = "ns";
constexpr size_t kSoaRdata = 1 + kSoaServer.size() + 2 + 1 + kSoaMailbox.size() + 2 + 20;

size_t client_subnet_bytes(const Query& query) {
  return query.client_subnet ? 4 + 4 + (query.client_subnet->source_prefix + 7u) / 8u : 0;
}

}  // namespace

const char* to_string(DecodeError error) {
  switch (error) {
    case DecodeError::none: return "none";
    case DecodeError::too_short: return "too_short";
    case DecodeError::not_a_query: return "not_a_query";
    case DecodeError::bad_question_count: return "bad_question_count";
    case DecodeError::bad_name: return "bad_name";
    case DecodeError::truncated: return "truncated";
    case DecodeError::bad_edns: return "bad_edns";
    case DecodeError::trailing_bytes: return "trailing_bytes";
  }
  return "?";
}

DecodeError decode_query(std::span<const uint8_t> packet, Query& out) {
  out = Query{};
  if (packet.size() < kHeaderSize) return DecodeError::too_short;
  const uint8_t* p = packet.data();
  out.id = read16(p);
  if (p[2] & 0x80) return DecodeError::not_a_query;
  out.opcode = (p[2] >> 3) & 0x0F;
  out.recursion_desired = (p[2] & 0x01) != 0;
  out.checking_disabled = (p[3] & 0x10) != 0;
  const uint16_t questions = read16(p + 4);
  const uint32_t records = uint32_t{read16(p + 6)} + read16(p + 8);
  const uint16_t additional = read16(p + 10);
  if (questions != 1) return DecodeError::bad_question_count;

  size_t at = kHeaderSize;
  if (auto error = read_question_name(packet, at, out); error != DecodeError::none) return error;
  if (at + 4 > packet.size()) return DecodeError::truncated;
  out.type = read16(p + at);
  out.klass = read16(p + at + 2);
  at += 4;
  out.question_end = at;

  // Answer and authority records (UPDATE and NOTIFY carry some) are skipped; the additional
  // section is read for OPT.
  const uint32_t total = records + additional;
  for (uint32_t i = 0; i < total; ++i) {
    const bool is_additional = i >= records;
    const size_t owner = at;
    if (auto error = skip_name(packet, at); error != DecodeError::none) return error;
    if (at + 10 > packet.size()) return DecodeError::truncated;
    const uint16_t type = read16(p + at);
    const uint16_t klass = read16(p + at + 2);
    const uint32_t ttl = read32(p + at + 4);
    const uint16_t rdlength = read16(p + at + 8);
    at += 10;
    if (rdlength > packet.size() - at) return DecodeError::truncated;
    if (type == kTypeOpt) {
      if (!is_additional || out.has_edns || at - owner != 11) return DecodeError::bad_edns;  // root owner: 1 byte
      out.has_edns = true;
      out.udp_payload_size = std::max<uint16_t>(klass, kClassicUdpLimit);
      out.edns_version = static_cast<uint8_t>(ttl >> 16);
      out.dnssec_ok = (ttl & 0x8000) != 0;
      if (auto error = read_options(p + at, rdlength, out); error != DecodeError::none) return error;
    }
    at += rdlength;
  }
  if (at != packet.size()) return DecodeError::trailing_bytes;
  return DecodeError::none;
}

size_t udp_response_limit(const Query& query) {
  if (!query.has_edns) return kClassicUdpLimit;
  return std::min<size_t>(query.udp_payload_size, kOurUdpPayloadSize);
}

size_t encode_response(const Query& query, std::span<const uint8_t> query_packet, const Answer& answer,
                       uint8_t ecs_scope_prefix, std::span<uint8_t> out, size_t limit) {
  limit = std::min(limit, out.size());
  const size_t question_bytes = query.question_end > kHeaderSize ? query.question_end - kHeaderSize : 0;
  const size_t opt_bytes = query.has_edns ? 11 + client_subnet_bytes(query) : 0;
  const bool has_soa = !answer.zone.empty() && answer.zone.size() <= query.name_length;
  size_t record_bytes = 0;
  for (const auto& address : answer.addresses) record_bytes += kRecordFixed + address.length;
  if (has_soa) record_bytes += kRecordFixed + kSoaRdata;
  const size_t minimal = kHeaderSize + question_bytes + opt_bytes;
  if (minimal > limit) return 0;
  const bool truncated = minimal + record_bytes > limit;

  uint8_t* p = out.data();
  write16(p, query.id);
  uint8_t flags_high = static_cast<uint8_t>(0x80 | (query.opcode << 3) | (query.recursion_desired ? 0x01 : 0));
  if (answer.authoritative) flags_high |= 0x04;
  if (truncated) flags_high |= 0x02;
  *p++ = flags_high;
  *p++ = static_cast<uint8_t>((query.checking_disabled ? 0x10 : 0) | static_cast<uint8_t>(answer.rcode));
  write16(p, question_bytes > 0 ? 1 : 0);
  uint16_t answers = 0, authority = 0;
  if (!truncated) {
    answers = static_cast<uint16_t>(answer.addresses.size() + (has_soa && answer.soa_in_answer ? 1 : 0));
    authority = has_soa && !answer.soa_in_answer ? 1 : 0;
  }
  write16(p, answers);
  write16(p, authority);
  write16(p, query.has_edns ? 1 : 0);
  // The question as the client wrote it (its letter case is a resolver's anti-spoofing check).
  std::memcpy(p, query_packet.data() + kHeaderSize, question_bytes);
  p += question_bytes;

  if (!truncated) {
    for (const auto& address : answer.addresses) {
      write16(p, 0xC000 | kHeaderSize);  // the question name
      write16(p, address.length == 4 ? kTypeA : kTypeAaaa);
      write16(p, kClassIn);
      write32(p, answer.ttl);
      write16(p, address.length);
      std::memcpy(p, address.bytes.data(), address.length);
      p += address.length;
    }
    if (has_soa) {
      // The zone is a suffix of the question name: point at it there.
      const uint16_t zone_at = static_cast<uint16_t>(kHeaderSize + query.name_length - answer.zone.size());
      write16(p, 0xC000 | zone_at);
      write16(p, kTypeSoa);
      write16(p, kClassIn);
      write32(p, answer.soa_in_answer ? answer.ttl : answer.negative_ttl);
      write16(p, static_cast<uint16_t>(kSoaRdata));
      for (std::string_view label : {kSoaServer, kSoaMailbox}) {
        *p++ = static_cast<uint8_t>(label.size());
        std::memcpy(p, label.data(), label.size());
        p += label.size();
        write16(p, 0xC000 | zone_at);
      }
      write32(p, answer.soa_serial);
      write32(p, 3600);     // refresh
      write32(p, 600);      // retry
      write32(p, 1209600);  // expire
      write32(p, answer.negative_ttl);
    }
  }
  if (query.has_edns) {
    *p++ = 0;  // root
    write16(p, kTypeOpt);
    write16(p, kOurUdpPayloadSize);
    *p++ = answer.bad_edns_version ? 1 : 0;  // extended rcode: BADVERS = 16 = 1 << 4
    *p++ = 0;                                // version we speak
    write16(p, query.dnssec_ok ? 0x8000 : 0);
    write16(p, static_cast<uint16_t>(client_subnet_bytes(query)));
    if (query.client_subnet) {
      const auto& subnet = *query.client_subnet;
      const size_t address_bytes = (subnet.source_prefix + 7u) / 8u;
      write16(p, kOptionClientSubnet);
      write16(p, static_cast<uint16_t>(4 + address_bytes));
      write16(p, subnet.family);
      *p++ = subnet.source_prefix;
      *p++ = std::min(ecs_scope_prefix, static_cast<uint8_t>(subnet.family == 1 ? 32 : 128));
      std::memcpy(p, subnet.address.data(), address_bytes);
      p += address_bytes;
    }
  }
  return static_cast<size_t>(p - out.data());
}

}  // namespace fulcrum::dns
