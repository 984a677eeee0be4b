#include "dns/response.hpp"

#include <cstring>
#include <utility>

#include "dns/wire_integers.hpp"

namespace fulcrum::dns {
// A named namespace around the anonymous one: the unity build compiles this file in one
// translation unit with message.cpp, whose anonymous helpers must not meet these.
namespace response_decoding {
namespace {

constexpr size_t kSmallestRecord = 1 + 10;  // root owner; type, class, ttl, rdlength

// Reads the name at `at` into `name` and moves `at` past the name's bytes in place (up to and
// including its first pointer). Those bytes must end by `limit` (the packet, or the record data
// holding the name), else `past_limit`. A pointer must point before the start of the labels it
// ends (the name's start, then each jump's target): the starts only ever decrease, so no loop
// can exist, and the jump cap bounds a chain of pointers to pointers. After a jump the labels
// may run up to the end of the packet. Work per name: at most 255 label bytes and 128 jumps.
ResponseError read_name(std::span<const uint8_t> packet, size_t& at, size_t limit, ResponseError past_limit,
                        std::string& name) {
  name.clear();
  size_t position = at;
  size_t segment_start = at;
  size_t wire_length = 1;  // the root label
  size_t jumps = 0;
  for (;;) {
    if (position >= limit) return jumps == 0 ? past_limit : ResponseError::truncated;
    const uint8_t length = packet[position];
    if ((length & 0xC0) == 0xC0) {
      if (limit - position < 2) return jumps == 0 ? past_limit : ResponseError::truncated;
      const size_t target = static_cast<size_t>(read16(&packet[position]) & 0x3FFF);
      if (jumps == 0) at = position + 2;
      if (target >= segment_start || ++jumps > kMaxCompressionJumps) return ResponseError::compression_loop;
      if (target < kHeaderSize) return ResponseError::bad_name;  // the header holds no name
      position = segment_start = target;
      limit = packet.size();
      continue;
    }
    if (length > 63) return ResponseError::bad_name;  // 01 and 10: extended and reserved label types
    if (length == 0) {
      if (jumps == 0) at = position + 1;
      return ResponseError::none;
    }
    wire_length += 1 + length;
    if (wire_length > kMaxNameLength) return ResponseError::bad_name;
    if (limit - position - 1 < length) return jumps == 0 ? past_limit : ResponseError::truncated;
    if (!name.empty()) name.push_back('.');
    for (size_t i = position + 1; i <= position + length; ++i) {
      const uint8_t c = packet[i];
      // A '.' inside a label or a blank would change the name's meaning once in presentation form.
      if (c < 0x21 || c > 0x7E || c == '.') return ResponseError::bad_name;
      name.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    position += 1 + length;
  }
}

// Reads the record at `at` and moves past it. `keep` says whether it is one discovery uses;
// the others are only checked as far as their owner name and lengths go.
ResponseError read_record(std::span<const uint8_t> packet, size_t& at, ResourceRecord& record, bool& keep) {
  keep = false;
  if (auto error = read_name(packet, at, packet.size(), ResponseError::truncated, record.owner);
      error != ResponseError::none) {
    return error;
  }
  if (packet.size() - at < 10) return ResponseError::truncated;
  const uint8_t* p = packet.data() + at;
  record.type = read16(p);
  record.klass = read16(p + 2);
  const uint32_t ttl = read32(p + 4);
  record.ttl = (ttl & 0x80000000u) ? 0 : ttl;
  const uint16_t rdlength = read16(p + 8);
  at += 10;
  if (rdlength > packet.size() - at) return ResponseError::truncated;
  const size_t rdata = at;
  const size_t end = at + rdlength;
  at = end;
  if (record.type == kTypeOpt || record.klass != kClassIn) return ResponseError::none;

  switch (record.type) {
    case kTypeA:
    case kTypeAaaa: {
      const size_t size = record.type == kTypeA ? 4 : 16;
      if (rdlength != size) return ResponseError::bad_record_data;
      record.address.length = static_cast<uint8_t>(size);
      std::memcpy(record.address.bytes.data(), packet.data() + rdata, size);
      break;
    }
    case kTypeSrv: {
      if (rdlength < 7) return ResponseError::bad_record_data;  // 3 numbers and at least the root
      record.srv.priority = read16(packet.data() + rdata);
      record.srv.weight = read16(packet.data() + rdata + 2);
      record.srv.port = read16(packet.data() + rdata + 4);
      size_t name_at = rdata + 6;
      if (auto error = read_name(packet, name_at, end, ResponseError::bad_record_data, record.srv.target);
          error != ResponseError::none) {
        return error;
      }
      if (name_at != end) return ResponseError::bad_record_data;
      break;
    }
    case kTypeCname: {
      size_t name_at = rdata;
      if (auto error = read_name(packet, name_at, end, ResponseError::bad_record_data, record.cname);
          error != ResponseError::none) {
        return error;
      }
      if (name_at != end) return ResponseError::bad_record_data;
      break;
    }
    default:
      return ResponseError::none;
  }
  keep = true;
  return ResponseError::none;
}

ResponseError decode(std::span<const uint8_t> packet, Response& out) {
  out = Response{};
  if (packet.size() < kHeaderSize) return ResponseError::too_short;
  const uint8_t* p = packet.data();
  out.id = read16(p);
  if (!(p[2] & 0x80)) return ResponseError::not_a_response;
  out.authoritative = (p[2] & 0x04) != 0;
  out.truncated = (p[2] & 0x02) != 0;
  out.raw_rcode = p[3] & 0x0F;
  out.rcode = static_cast<Rcode>(out.raw_rcode);
  if (read16(p + 4) != 1) return ResponseError::bad_question_count;
  const size_t counts[3] = {read16(p + 6), read16(p + 8), read16(p + 10)};  // answer, authority, additional

  size_t at = kHeaderSize;
  if (auto error = read_name(packet, at, packet.size(), ResponseError::truncated, out.question_name);
      error != ResponseError::none) {
    return error;
  }
  if (packet.size() - at < 4) return ResponseError::truncated;
  out.question_type = read16(p + at);
  at += 4;

  // Every record takes at least 11 bytes: counts the rest of the packet cannot hold are refused
  // here, before any section is looped over, so a header claiming 10,000 records costs nothing.
  // This also bounds the reservations below by the packet's size.
  const size_t total = counts[0] + counts[1] + counts[2];
  if (total > kMaxResponseRecords || total * kSmallestRecord > packet.size() - at) {
    return ResponseError::too_many_records;
  }
  out.answers.reserve(counts[0]);
  out.additional.reserve(counts[2]);
  std::vector<ResourceRecord>* kept_in[3] = {&out.answers, nullptr, &out.additional};
  for (size_t section = 0; section < 3; ++section) {
    for (size_t i = 0; i < counts[section]; ++i) {
      ResourceRecord record;
      bool keep = false;
      if (auto error = read_record(packet, at, record, keep); error != ResponseError::none) return error;
      if (keep && kept_in[section]) kept_in[section]->push_back(std::move(record));
    }
  }
  if (at != packet.size()) return ResponseError::trailing_bytes;
  return ResponseError::none;
}

}  // namespace
}  // namespace response_decoding

const char* to_string(ResponseError error) {
  switch (error) {
    case ResponseError::none: return "no error";
    case ResponseError::too_short: return "shorter than a DNS header";
    case ResponseError::not_a_response: return "not a response (QR bit clear)";
    case ResponseError::bad_question_count: return "a question count other than 1";
    case ResponseError::bad_name:
      return "a malformed name (label type, label or name length, or a byte no host name has)";
    case ResponseError::compression_loop:
      return "a compression pointer that does not point backwards (a loop), or too many of them";
    case ResponseError::truncated: return "a name or record that runs past the end of the packet";
    case ResponseError::too_many_records: return "more records than the packet has room for, or more than 8192";
    case ResponseError::bad_record_data:
      return "record data that does not fit its type (length, or a name not ending it)";
    case ResponseError::trailing_bytes: return "bytes after the last record";
  }
  return "?";
}

ResponseError decode_response(std::span<const uint8_t> packet, Response& out) {
  return response_decoding::decode(packet, out);
}

}  // namespace fulcrum::dns
