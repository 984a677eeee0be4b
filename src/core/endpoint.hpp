#pragma once
// An IP address and port, parsed once from text ("10.0.0.1:80", "[::1]:8080", "localhost:80")
// and kept in the form the socket calls take.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::core {

struct Endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* address() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  void set_port(uint16_t port);
  bool is_loopback() const;
  // "10.0.0.1:80" or "[::1]:80": the canonical spelling used in logs, the API and metrics.
  std::string to_string() const;
  // The address alone, without port ("10.0.0.1", "::1").
  std::string host_string() const;

  friend bool operator==(const Endpoint& a, const Endpoint& b);
};

// An endpoint from a raw address (4 bytes for AF_INET, 16 for AF_INET6, network order, as on
// the wire) and a port in host order.
Endpoint make_endpoint(int family, const void* address, uint16_t port);

// Why parsing failed, in words for a configuration error.
struct EndpointError {
  std::string message;
};

// Parses HOST:PORT where HOST is an IPv4 literal, a bracketed IPv6 literal, or a name resolved
// now (blocking getaddrinfo: only ever called while loading configuration).
// Port 0 is refused unless allow_port_zero (tests bind to port 0).
std::optional<Endpoint> parse_endpoint(std::string_view text, EndpointError& error,
                                       bool allow_port_zero = false);

// The address a socket is bound to (getsockname): for an accepted socket, the address the
// client reached. nullopt if the call fails.
std::optional<Endpoint> local_endpoint(int fd);

}  // namespace fulcrum::core
