#pragma once
// DNS messages on the wire (RFC 1035 § 4, EDNS0 RFC 6891, Client Subnet RFC 7871): the strict
// decoder of queries and the encoder of answers. No I/O and no allocation: the decoder reads a
// packet into a Query of fixed size, the encoder writes into a caller's buffer. Every length
// and offset read from the packet is checked before use; the fuzz target
// (tests/fuzz/dns_query_fuzz.cpp) holds it to that.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace fulcrum::dns {

inline constexpr uint16_t kTypeA = 1;
inline constexpr uint16_t kTypeNs = 2;
inline constexpr uint16_t kTypeSoa = 6;
inline constexpr uint16_t kTypeAaaa = 28;
inline constexpr uint16_t kTypeOpt = 41;
inline constexpr uint16_t kTypeAny = 255;
inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kOptionClientSubnet = 8;

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameLength = 255;          // wire form, RFC 1035 § 2.3.4
inline constexpr size_t kClassicUdpLimit = 512;        // without EDNS
inline constexpr uint16_t kOurUdpPayloadSize = 1232;   // DNS flag day 2020: no IP fragmentation

enum class Rcode : uint8_t { no_error = 0, format_error = 1, server_failure = 2, name_error = 3, not_implemented = 4, refused = 5 };

struct ClientSubnet {
  uint16_t family = 0;  // 1: IPv4, 2: IPv6 (address family numbers)
  uint8_t source_prefix = 0;
  uint8_t scope_prefix = 0;
  std::array<uint8_t, 16> address{};  // bits beyond source_prefix are zero
};

struct Query {
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool recursion_desired = false;
  bool checking_disabled = false;
  // The question name in presentation form, lower case, without the trailing dot ("" = root).
  std::array<char, kMaxNameLength> name{};
  size_t name_length = 0;
  size_t question_end = 0;  // offset just past the question: bytes [12, question_end) are echoed
  uint16_t type = 0;
  uint16_t klass = 0;
  bool has_edns = false;
  uint16_t udp_payload_size = 0;  // from OPT; at least 512 when has_edns
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
  std::optional<ClientSubnet> client_subnet;

  std::string_view name_view() const { return {name.data(), name_length}; }
};

enum class DecodeError {
  none,
  too_short,         // shorter than a header
  not_a_query,       // QR set: a response (never answered: reflection loops)
  bad_question_count,
  bad_name,          // label too long, name too long, compression in the question, runs off the end
  truncated,         // a section runs past the end of the packet
  bad_edns,          // two OPT records, OPT not at the root, option lengths that do not add up
  trailing_bytes,
};
const char* to_string(DecodeError);

// Decodes a query. Unknown record types in the additional section are skipped; answer and
// authority sections must be empty (as in any query).
DecodeError decode_query(std::span<const uint8_t> packet, Query& out);

struct Address {
  uint8_t length = 0;  // 4 or 16
  std::array<uint8_t, 16> bytes{};
};

// What to say; the encoder lays it out.
struct Answer {
  Rcode rcode = Rcode::no_error;
  bool authoritative = true;
  std::span<const Address> addresses;  // A or AAAA records by length, owner = the question name
  uint32_t ttl = 0;
  // SOA of the zone (for negative answers in authority, or as the answer to an SOA query).
  std::string_view zone;   // lower case, no trailing dot; empty: no SOA
  bool soa_in_answer = false;
  uint32_t soa_serial = 1;
  uint32_t negative_ttl = 30;
  bool bad_edns_version = false;  // BADVERS (RFC 6891 § 6.1.3)
};

// Writes the response to `query` into `out` and returns its length. `limit` is the most the
// transport can carry (UDP: the client's buffer; TCP: 65535): when the records do not fit, the
// answer goes out without them and with TC set, and the client retries over TCP. The scope of an
// echoed Client Subnet is `ecs_scope_prefix`. Returns 0 only if even the header cannot fit.
size_t encode_response(const Query& query, std::span<const uint8_t> query_packet, const Answer& answer,
                       uint8_t ecs_scope_prefix, std::span<uint8_t> out, size_t limit);

// The most bytes a UDP response to `query` may have (512 without EDNS; the client's EDNS buffer
// size capped at ours).
size_t udp_response_limit(const Query& query);

}  // namespace fulcrum::dns
