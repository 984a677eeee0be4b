#include "l4/proxy_protocol.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace fulcrum::l4 {
namespace {

constexpr char kV2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'};
constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxLength = 107;

// An IPv6 view of an endpoint: IPv4 becomes ::ffff:a.b.c.d.
sockaddr_in6 as_ipv6(const core::Endpoint& endpoint) {
  if (endpoint.family() == AF_INET6) return *reinterpret_cast<const sockaddr_in6*>(&endpoint.storage);
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&endpoint.storage);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = v4->sin_port;
  v6.sin6_addr.s6_addr[10] = 0xff;
  v6.sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(&v6.sin6_addr.s6_addr[12], &v4->sin_addr, 4);
  return v6;
}

// IPv4-mapped IPv6 endpoints are announced as IPv4: that is what the client really is.
core::Endpoint unmap(const core::Endpoint& endpoint) {
  if (endpoint.family() != AF_INET6) return endpoint;
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&endpoint.storage);
  if (!IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) return endpoint;
  core::Endpoint out;
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = v6->sin6_port;
  std::memcpy(&v4.sin_addr, &v6->sin6_addr.s6_addr[12], 4);
  std::memcpy(&out.storage, &v4, sizeof v4);
  out.length = sizeof v4;
  return out;
}

// A v1 port: decimal 0..65535 without leading zeros.
bool parse_v1_port(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

ProxyParse parse_v1(std::string_view data, ProxyHeader& header, std::string& error) {
  auto end = data.find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= kV1MaxLength) {
      error = "PROXY v1 header longer than 107 bytes";
      return ProxyParse::error;
    }
    if (data.find('\n') != std::string_view::npos || data.find('\0') != std::string_view::npos) {
      error = "PROXY v1 header has a bare LF or NUL";
      return ProxyParse::error;
    }
    return ProxyParse::need_more;
  }
  if (end + 2 > kV1MaxLength) {
    error = "PROXY v1 header longer than 107 bytes";
    return ProxyParse::error;
  }
  std::string_view line = data.substr(kV1Prefix.size(), end - kV1Prefix.size());
  header.length = end + 2;
  header.version = 1;
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) {
    header.local = true;
    return ProxyParse::done;
  }
  // TCP4|TCP6 SP src SP dst SP sport SP dport, single spaces, nothing else.
  std::string_view fields[5];
  size_t count = 0;
  size_t start = 0;
  while (count < 5) {
    size_t space = line.find(' ', start);
    std::string_view field = line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start);
    if (field.empty()) break;
    fields[count++] = field;
    if (space == std::string_view::npos) {
      start = line.size() + 1;
      break;
    }
    start = space + 1;
  }
  if (count != 5 || start <= line.size()) {
    error = "PROXY v1 header malformed: expected 'PROXY TCP4|TCP6 SRC DST SPORT DPORT'";
    return ProxyParse::error;
  }
  int family;
  if (fields[0] == "TCP4") {
    family = AF_INET;
  } else if (fields[0] == "TCP6") {
    family = AF_INET6;
  } else {
    error = "PROXY v1 header has unknown protocol '" + std::string(fields[0]) + "'";
    return ProxyParse::error;
  }
  unsigned char src[16], dst[16];
  std::string src_text(fields[1]), dst_text(fields[2]);
  if (inet_pton(family, src_text.c_str(), src) != 1 || inet_pton(family, dst_text.c_str(), dst) != 1) {
    error = "PROXY v1 header has an address that is not " + std::string(fields[0]);
    return ProxyParse::error;
  }
  uint16_t sport, dport;
  if (!parse_v1_port(fields[3], sport) || !parse_v1_port(fields[4], dport)) {
    error = "PROXY v1 header has a bad port";
    return ProxyParse::error;
  }
  header.source = core::make_endpoint(family, src, sport);
  header.destination = core::make_endpoint(family, dst, dport);
  return ProxyParse::done;
}

ProxyParse parse_v2(std::span<const char> data, ProxyHeader& header, std::string& error) {
  if (data.size() < 16) return ProxyParse::need_more;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  unsigned version = bytes[12] >> 4;
  unsigned command = bytes[12] & 0x0f;
  if (version != 2) {
    error = "PROXY v2 header has version " + std::to_string(version);
    return ProxyParse::error;
  }
  if (command > 1) {
    error = "PROXY v2 header has unknown command " + std::to_string(command);
    return ProxyParse::error;
  }
  size_t length = (size_t(bytes[14]) << 8) | bytes[15];
  if (16 + length > kProxyHeaderMaxRead) {
    error = "PROXY v2 header announces " + std::to_string(length) + " bytes, over our limit";
    return ProxyParse::error;
  }
  unsigned family = bytes[13] >> 4;
  unsigned transport = bytes[13] & 0x0f;
  if (family > 3 || transport > 2) {
    error = "PROXY v2 header has unknown address family/protocol";
    return ProxyParse::error;
  }
  size_t needed = family == 1 ? 12 : family == 2 ? 36 : family == 3 ? 216 : 0;
  if (length < needed) {
    error = "PROXY v2 header too short for its address family";
    return ProxyParse::error;
  }
  if (data.size() < 16 + length) return ProxyParse::need_more;
  header.length = 16 + length;
  header.version = 2;
  // LOCAL (health checks from a proxy), UNSPEC and UNIX carry no address we can use.
  if (command == 0 || family == 0 || family == 3) {
    header.local = true;
    return ProxyParse::done;
  }
  const unsigned char* address = bytes + 16;
  if (family == 1) {
    uint16_t sport, dport;
    std::memcpy(&sport, address + 8, 2);
    std::memcpy(&dport, address + 10, 2);
    header.source = core::make_endpoint(AF_INET, address, ntohs(sport));
    header.destination = core::make_endpoint(AF_INET, address + 4, ntohs(dport));
  } else {
    uint16_t sport, dport;
    std::memcpy(&sport, address + 32, 2);
    std::memcpy(&dport, address + 34, 2);
    header.source = core::make_endpoint(AF_INET6, address, ntohs(sport));
    header.destination = core::make_endpoint(AF_INET6, address + 16, ntohs(dport));
  }
  return ProxyParse::done;
}

}  // namespace

size_t write_proxy_v1(char* out, const core::Endpoint& source_in, const core::Endpoint& destination_in) {
  core::Endpoint source = unmap(source_in);
  core::Endpoint destination = unmap(destination_in);
  std::string line;
  if (source.family() == AF_INET && destination.family() == AF_INET) {
    line = "PROXY TCP4 " + source.host_string() + " " + destination.host_string();
  } else {
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    auto s6 = as_ipv6(source);
    auto d6 = as_ipv6(destination);
    inet_ntop(AF_INET6, &s6.sin6_addr, src, sizeof src);
    inet_ntop(AF_INET6, &d6.sin6_addr, dst, sizeof dst);
    line = std::string("PROXY TCP6 ") + src + " " + dst;
  }
  line += " " + std::to_string(source.port()) + " " + std::to_string(destination.port()) + "\r\n";
  std::memcpy(out, line.data(), line.size());
  return line.size();
}

size_t write_proxy_v2(char* out, const core::Endpoint& source_in, const core::Endpoint& destination_in) {
  core::Endpoint source = unmap(source_in);
  core::Endpoint destination = unmap(destination_in);
  auto* bytes = reinterpret_cast<unsigned char*>(out);
  std::memcpy(bytes, kV2Signature, sizeof kV2Signature);
  bytes[12] = 0x21;  // version 2, command PROXY
  if (source.family() == AF_INET && destination.family() == AF_INET) {
    const auto* s = reinterpret_cast<const sockaddr_in*>(&source.storage);
    const auto* d = reinterpret_cast<const sockaddr_in*>(&destination.storage);
    bytes[13] = 0x11;  // TCP over IPv4
    bytes[14] = 0;
    bytes[15] = 12;
    std::memcpy(bytes + 16, &s->sin_addr, 4);
    std::memcpy(bytes + 20, &d->sin_addr, 4);
    std::memcpy(bytes + 24, &s->sin_port, 2);
    std::memcpy(bytes + 26, &d->sin_port, 2);
    return 28;
  }
  auto s = as_ipv6(source);
  auto d = as_ipv6(destination);
  bytes[13] = 0x21;  // TCP over IPv6
  bytes[14] = 0;
  bytes[15] = 36;
  std::memcpy(bytes + 16, &s.sin6_addr, 16);
  std::memcpy(bytes + 32, &d.sin6_addr, 16);
  std::memcpy(bytes + 48, &s.sin6_port, 2);
  std::memcpy(bytes + 50, &d.sin6_port, 2);
  return 52;
}

ProxyParse parse_proxy_header(std::span<const char> data, ProxyHeader& header, std::string& error) {
  header = ProxyHeader{};
  // Decide the version from as many bytes as we have; a prefix of neither is an error at once
  // (a client that does not speak PROXY protocol must not hang until a timeout).
  size_t v2_check = std::min(data.size(), sizeof kV2Signature);
  if (v2_check > 0 && std::memcmp(data.data(), kV2Signature, v2_check) == 0) {
    if (data.size() < sizeof kV2Signature) return ProxyParse::need_more;
    return parse_v2(data, header, error);
  }
  std::string_view text(data.data(), data.size());
  size_t v1_check = std::min(text.size(), kV1Prefix.size());
  if (v1_check > 0 && text.substr(0, v1_check) == kV1Prefix.substr(0, v1_check)) {
    if (text.size() < kV1Prefix.size()) return ProxyParse::need_more;
    return parse_v1(text, header, error);
  }
  if (data.empty()) return ProxyParse::need_more;
  error = "connection does not start with a PROXY protocol header";
  return ProxyParse::error;
}

}  // namespace fulcrum::l4
