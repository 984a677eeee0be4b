#include "upstream/pick_request.hpp"

#include <algorithm>
#include <cstring>

#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {
namespace {

// Keys of different sources never meet in one group, but a prefix keeps, say, the header value
// "10.0.0.1" from hashing like the address 10.0.0.1 if a group's hash_key changes on reload.
uint64_t hash_tagged(char tag, std::string_view bytes) {
  char buffer[512];
  const size_t size = std::min(bytes.size(), sizeof buffer - 1);
  buffer[0] = tag;
  std::memcpy(buffer + 1, bytes.data(), size);
  // A longer value is hashed in full without the tag: still stable, still spread.
  return bytes.size() < sizeof buffer ? balance::hash_key_bytes({buffer, size + 1}) : balance::hash_key_bytes(bytes);
}

}  // namespace

KeySource KeySource::of(const config::TargetGroupConfig& group) {
  KeySource source;
  if (group.algorithm != config::Algorithm::ip_hash) return source;
  switch (group.hash_key.kind) {
    case config::HashKeyKind::source_ip: source.kind = Kind::source_ip; break;
    case config::HashKeyKind::header: source.kind = Kind::header; break;
    case config::HashKeyKind::cookie: source.kind = Kind::cookie; break;
    case config::HashKeyKind::uri: source.kind = Kind::uri; break;
  }
  source.name = group.hash_key.name;
  if (source.kind == Kind::header) {
    std::transform(source.name.begin(), source.name.end(), source.name.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  }
  return source;
}

ClientAddress ClientAddress::from_bytes(int family, const uint8_t* bytes) {
  ClientAddress address;
  if (family == AF_INET) {
    std::memcpy(address.bytes, bytes, 4);
    address.size = 4;
    return address;
  }
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0) {
    std::memcpy(address.bytes, bytes + 12, 4);
    address.size = 4;
    return address;
  }
  std::memcpy(address.bytes, bytes, 16);
  address.size = 16;
  return address;
}

ClientAddress ClientAddress::from(const sockaddr* address) {
  if (address == nullptr) return {};
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return from_bytes(AF_INET, reinterpret_cast<const uint8_t*>(&v4->sin_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return from_bytes(AF_INET6, v6->sin6_addr.s6_addr);
  }
  return {};  // a UNIX socket client: one empty key
}

std::optional<uint64_t> pick_hash(const KeySource& source, const PickFacts& facts) {
  using Kind = KeySource::Kind;
  if (!source.hashes()) return std::nullopt;
  if (facts.request != nullptr) {
    std::string_view value;
    char tag = 0;
    switch (source.kind) {
      case Kind::header: value = facts.request->header(source.name); tag = 'h'; break;
      case Kind::cookie: value = facts.request->cookie(source.name); tag = 'c'; break;
      case Kind::uri: value = facts.request->uri(); tag = 'u'; break;
      case Kind::source_ip:
      case Kind::none: break;
    }
    if (!value.empty()) return hash_tagged(tag, value);
  }
  return hash_tagged('a', facts.client.view());
}

balance::PickRequest make_pick_request(const GroupSnapshot& group, const PickFacts& facts, int64_t now_ms) {
  balance::PickRequest request;
  request.hash = pick_hash(group.key_source, facts);
  request.now_ms = now_ms;
  return request;
}

}  // namespace fulcrum::upstream
