#include "l4/client_hello.hpp"

#include <cstring>

namespace fulcrum::l4 {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecordPayload = 16384 + 2048;  // TLSPlaintext limit, with the usual slack

uint16_t u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t u24(const unsigned char* p) { return static_cast<uint32_t>(p[0] << 16 | p[1] << 8 | p[2]); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// A bounds-checked reader over the ClientHello body.
struct Reader {
  const unsigned char* at;
  const unsigned char* end;
  bool ok = true;
  size_t left() const { return static_cast<size_t>(end - at); }
  const unsigned char* take(size_t n) {
    if (!ok || left() < n) {
      ok = false;
      return nullptr;
    }
    const unsigned char* p = at;
    at += n;
    return p;
  }
  uint8_t byte() {
    const unsigned char* p = take(1);
    return p ? *p : 0;
  }
  uint16_t two() {
    const unsigned char* p = take(2);
    return p ? u16(p) : 0;
  }
};

// The server_name extension (RFC 6066 §3): a list of names of which we read the host_name.
bool read_server_name(Reader ext, ClientHelloFacts& facts, const char*& reason) {
  const uint16_t list_length = ext.two();
  if (!ext.ok || list_length != ext.left() || list_length == 0) {
    reason = "malformed server_name extension";
    return false;
  }
  while (ext.left() > 0) {
    const uint8_t type = ext.byte();
    const uint16_t length = ext.two();
    const unsigned char* name = ext.take(length);
    if (!ext.ok) {
      reason = "malformed server_name extension";
      return false;
    }
    if (type != 0 || facts.server_name_length != 0) continue;  // host_name only, the first one
    if (length == 0 || length >= sizeof facts.server_name) {
      reason = "server name empty or longer than 255 bytes";
      return false;
    }
    size_t out = 0;
    for (size_t i = 0; i < length; ++i) {
      const unsigned char c = name[i];
      if (c <= ' ' || c >= 0x7f) {
        reason = "server name with a control, space or non-ASCII byte";
        return false;
      }
      facts.server_name[out++] = lower(static_cast<char>(c));
    }
    if (out > 1 && facts.server_name[out - 1] == '.') --out;  // "example.com." is example.com
    facts.server_name_length = out;
  }
  return true;
}

bool read_body(const unsigned char* body, size_t size, ClientHelloFacts& facts, const char*& reason) {
  Reader r{body, body + size};
  facts.legacy_version = r.two();
  r.take(32);                        // random
  const uint8_t session_id = r.byte();
  if (session_id > 32) r.ok = false;
  r.take(session_id);
  const uint16_t suites = r.two();
  if (suites < 2 || suites % 2 != 0) r.ok = false;
  r.take(suites);
  const uint8_t compressions = r.byte();
  if (compressions < 1) r.ok = false;
  r.take(compressions);
  if (!r.ok || facts.legacy_version < 0x0300) {
    reason = "malformed ClientHello";
    return false;
  }
  if (r.left() == 0) return true;  // no extensions: no SNI (SSL 3.0-style hello)
  const uint16_t extensions = r.two();
  if (!r.ok || extensions != r.left()) {
    reason = "malformed ClientHello extensions";
    return false;
  }
  while (r.left() > 0) {
    const uint16_t type = r.two();
    const uint16_t length = r.two();
    const unsigned char* data = r.take(length);
    if (!r.ok) {
      reason = "malformed ClientHello extension";
      return false;
    }
    if (type == kServerNameExtension && !read_server_name(Reader{data, data + length}, facts, reason)) return false;
  }
  return true;
}

}  // namespace

HelloParse parse_client_hello(std::string_view data, ClientHelloFacts& facts, const char*& reason) {
  // The handshake message may span records: their payloads are gathered here (the common case,
  // one record, is read in place).
  unsigned char gathered[kMaxClientHello];
  size_t gathered_size = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t at = 0;
  const unsigned char* message = nullptr;
  size_t message_size = 0;
  for (;;) {
    if (data.size() - at < kRecordHeader) {
      // Say no to garbage as early as the first byte shows it.
      if (data.size() > at && bytes[at] != kHandshakeRecord) break;
      if (data.size() > at + 1 && bytes[at + 1] != 3) break;
      return HelloParse::need_more;
    }
    const unsigned char* header = bytes + at;
    const size_t payload = u16(header + 3);
    if (header[0] != kHandshakeRecord || header[1] != 3 || payload == 0 || payload > kMaxRecordPayload) break;
    if (data.size() - at - kRecordHeader < payload) {
      if (at + kRecordHeader + payload > kMaxClientHello) {
        reason = "ClientHello larger than 16 KiB";
        return HelloParse::error;
      }
      return HelloParse::need_more;
    }
    const unsigned char* piece = header + kRecordHeader;
    at += kRecordHeader + payload;
    if (gathered_size == 0 && payload >= 4 && u24(piece + 1) + 4 <= payload) {
      message = piece;  // the whole handshake message in this record
    } else {
      if (gathered_size + payload > sizeof gathered) {
        reason = "ClientHello larger than 16 KiB";
        return HelloParse::error;
      }
      std::memcpy(gathered + gathered_size, piece, payload);
      gathered_size += payload;
      if (gathered_size < 4 || u24(gathered + 1) + 4 > gathered_size) {
        if (gathered_size >= 4 && u24(gathered + 1) + 4 > kMaxClientHello) {
          reason = "ClientHello larger than 16 KiB";
          return HelloParse::error;
        }
        if (gathered[0] != kClientHello) {
          reason = "first handshake message is not a ClientHello";
          return HelloParse::error;
        }
        continue;  // the next record continues it
      }
      message = gathered;
    }
    if (message[0] != kClientHello) {
      reason = "first handshake message is not a ClientHello";
      return HelloParse::error;
    }
    message_size = u24(message + 1);
    break;
  }
  if (message == nullptr) {
    reason = "not a TLS handshake";
    return HelloParse::error;
  }
  facts.consumed = at;
  facts.server_name_length = 0;
  return read_body(message + 4, message_size, facts, reason) ? HelloParse::done : HelloParse::error;
}

bool sni_matches(std::string_view pattern, std::string_view name) {
  if (pattern == "*") return true;
  auto equal = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  };
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    const std::string_view suffix = pattern.substr(1);  // ".example.com"
    return name.size() > suffix.size() && equal(name.substr(name.size() - suffix.size()), suffix);
  }
  return equal(pattern, name);
}

}  // namespace fulcrum::l4
