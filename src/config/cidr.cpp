#include "config/cidr.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>

namespace fulcrum::config {

std::string Cidr::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_length);
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string& error) {
  std::string quoted = "'" + std::string(text) + "'";
  auto slash = text.find('/');
  std::string address(text.substr(0, slash));
  Cidr cidr;
  if (inet_pton(AF_INET, address.c_str(), cidr.bytes.data()) == 1) {
    cidr.family = AF_INET;
  } else if (inet_pton(AF_INET6, address.c_str(), cidr.bytes.data()) == 1) {
    cidr.family = AF_INET6;
  } else {
    error = "bad CIDR " + quoted + ": '" + address + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  const uint32_t max_prefix = cidr.family == AF_INET ? 32 : 128;
  cidr.prefix_length = max_prefix;
  if (slash != std::string_view::npos) {
    std::string_view prefix_text = text.substr(slash + 1);
    uint32_t prefix = 0;
    auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
    if (prefix_text.empty() || ec != std::errc() || end != prefix_text.data() + prefix_text.size() ||
        prefix > max_prefix) {
      error = "bad CIDR " + quoted + ": the prefix length must be a number 0.." + std::to_string(max_prefix);
      return std::nullopt;
    }
    cidr.prefix_length = prefix;
  }
  const std::size_t size = cidr.family == AF_INET ? 4 : 16;
  Cidr network = cidr;
  for (std::size_t i = 0; i < size; ++i) {
    const uint32_t bit_start = static_cast<uint32_t>(i) * 8;
    if (bit_start >= cidr.prefix_length) {
      network.bytes[i] = 0;
    } else if (cidr.prefix_length - bit_start < 8) {
      const auto keep = static_cast<uint8_t>(0xFF << (8 - (cidr.prefix_length - bit_start)));
      network.bytes[i] = static_cast<uint8_t>(cidr.bytes[i] & keep);
    }
  }
  if (network != cidr) {
    error = "bad CIDR " + quoted + ": host bits are set; did you mean '" + network.to_string() + "'?";
    return std::nullopt;
  }
  return cidr;
}

}  // namespace fulcrum::config
