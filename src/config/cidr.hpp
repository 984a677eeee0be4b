#pragma once
// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "2001:db8::/32"); a bare address
// is the network of that one host. The security room matches client addresses against these.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::config {

struct Cidr {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network address, network byte order (4 used for IPv4)
  uint32_t prefix_length = 0;       // 0..32 or 0..128

  std::string to_string() const;  // canonical "10.0.0.0/8"
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// Parses CIDR notation. Host bits beyond the prefix are refused ("10.0.0.1/8" is more likely
// a mistake than a network), and `error` then names the network the user probably meant.
std::optional<Cidr> parse_cidr(std::string_view text, std::string& error);

}  // namespace fulcrum::config
