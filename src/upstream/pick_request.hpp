#pragma once
// How a connection or a request becomes a pick, for every listener protocol (tcp, udp, tls,
// http, https, and HTTP/2 streams): the one place that turns what the data path knows into a
// balance::PickRequest. docs/design/picking.md walks through it per protocol.
//
// The only fact that varies between protocols is the ip_hash key. A group's KeySource (built
// once per snapshot from `hash_key`) says which fact it hashes: the client's address, a header,
// a cookie or the request URI. At layer 4 there is no request, and a request that lacks the
// header or cookie has no such key: both fall back to the client's address, never to a random
// pick, so one client keeps its target either way.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "balance/picker.hpp"
#include "config/config.hpp"

namespace fulcrum::upstream {

struct GroupSnapshot;

// Which fact a group hashes; `none` for every algorithm other than ip_hash (no hash computed).
struct KeySource {
  enum class Kind : uint8_t { none, source_ip, header, cookie, uri };
  Kind kind = Kind::none;
  std::string name;  // header (lower case) or cookie name

  static KeySource of(const config::TargetGroupConfig& group);
  // Whether picks need a key at all: callers skip gathering the facts when not.
  bool hashes() const { return kind != Kind::none; }
};

// What an HTTP request offers for a key; HTTP/1.1 and HTTP/2 each implement it over their own
// view of the head. An empty answer means absent.
class RequestKeys {
 public:
  virtual std::string_view header(std::string_view lower_case_name) const = 0;
  virtual std::string_view cookie(std::string_view name) const = 0;
  virtual std::string_view uri() const = 0;  // the request-target: path and query

 protected:
  ~RequestKeys() = default;
};

// The client's address as raw bytes: 4 for IPv4 (an IPv4-mapped IPv6 address counts as its
// IPv4 form, so dual-stack listeners agree with IPv4 ones), 16 for IPv6.
struct ClientAddress {
  uint8_t bytes[16] = {};
  uint8_t size = 0;

  static ClientAddress from(const sockaddr* address);
  static ClientAddress from_bytes(int family, const uint8_t* bytes);
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes), size}; }
};

struct PickFacts {
  ClientAddress client;
  const RequestKeys* request = nullptr;  // null at layer 4
};

// The ip_hash key of these facts under this source; nullopt when the source is `none`.
std::optional<uint64_t> pick_hash(const KeySource& source, const PickFacts& facts);

// The request for the group's picker (its key, the clock). Callers add `avoid` on retries.
balance::PickRequest make_pick_request(const GroupSnapshot& group, const PickFacts& facts, int64_t now_ms);

}  // namespace fulcrum::upstream
