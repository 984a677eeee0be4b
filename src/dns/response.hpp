#pragma once
// DNS responses on the wire (RFC 1035 § 4, SRV RFC 2782): the strict decoder of the answers that
// c-ares fetches for DNS discovery of targets. We parse the raw bytes ourselves because c-ares
// 1.18's SRV parser drops the TTLs and the additional section. The packet comes from the
// network, so every length, count and compression pointer is checked before use and the work
// stays linear in the packet's size; the fuzz target (tests/fuzz/dns_response_fuzz.cpp) holds it
// to that. It allocates (names, record vectors): it runs on the control thread, not per request.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/message.hpp"

namespace fulcrum::dns {

inline constexpr uint16_t kTypeCname = 5;
inline constexpr uint16_t kTypeSrv = 33;

inline constexpr size_t kMaxResponseRecords = 8192;  // answer + authority + additional
inline constexpr size_t kMaxCompressionJumps = 128;  // per name

struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;  // lower case, no trailing dot; "" (the root): no service (RFC 2782)
};

// Only the records DNS discovery reads: class IN, type A, AAAA, SRV or CNAME. Which field holds
// the data follows `type`; the others stay empty.
struct ResourceRecord {
  std::string owner;  // lower case, no trailing dot ("" = root)
  uint16_t type = 0;
  uint16_t klass = 0;
  uint32_t ttl = 0;   // RFC 2181 § 8: a TTL with the top bit set is read as 0
  Address address;    // A (length 4) or AAAA (length 16)
  SrvData srv;        // SRV
  std::string cname;  // CNAME: the canonical name
};

struct Response {
  uint16_t id = 0;
  uint8_t raw_rcode = 0;  // the header's 4 bits (an extended rcode in OPT is not read)
  Rcode rcode = Rcode::no_error;  // the same value; may be one Rcode does not name (e.g. 9, NOTAUTH)
  bool truncated = false;         // TC: the answer did not fit (UDP); c-ares retries over TCP
  bool authoritative = false;
  std::string question_name;  // lower case, no trailing dot
  uint16_t question_type = 0;
  // In packet order. The authority section is walked and checked, not kept; OPT records, other
  // classes and other types are skipped.
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> additional;
};

enum class ResponseError {
  none,
  too_short,           // shorter than a header
  not_a_response,      // QR clear
  bad_question_count,  // QDCOUNT other than 1
  bad_name,            // label over 63, name over 255 wire bytes, reserved label type, a byte that is no hostname's
  compression_loop,    // a pointer that does not point before the labels it ends, or too many jumps
  truncated,           // a name, record or its data runs past the end of the packet
  too_many_records,    // more records than the packet has room for, or than kMaxResponseRecords
  bad_record_data,     // A not 4 bytes, AAAA not 16, SRV or CNAME whose name does not end the data
  trailing_bytes,      // bytes after the last record
};
const char* to_string(ResponseError);  // a short sentence for logs

// Decodes `packet` (a whole DNS message, without TCP's length prefix) into `out`. On an error,
// `out` may hold part of the packet: drop it. Names are in presentation form, lower case,
// without the trailing dot; labels hold printable ASCII other than '.' only (discovery names
// are host names). Compression is followed anywhere but in the question, and a pointer must
// point before the labels it ends, so pointers can only go backwards and no loop can exist.
ResponseError decode_response(std::span<const uint8_t> packet, Response& out);

}  // namespace fulcrum::dns
