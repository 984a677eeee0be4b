#include "core/endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>

namespace fulcrum::core {

uint16_t Endpoint::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

void Endpoint::set_port(uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

bool Endpoint::is_loopback() const {
  if (family() == AF_INET) {
    auto addr = ntohl(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr);
    return (addr >> 24) == 127;
  }
  if (family() == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
  }
  return false;
}

std::string Endpoint::host_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof text);
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text, sizeof text);
  }
  return text;
}

std::string Endpoint::to_string() const {
  if (family() == AF_INET6) return "[" + host_string() + "]:" + std::to_string(port());
  return host_string() + ":" + std::to_string(port());
}

bool operator==(const Endpoint& a, const Endpoint& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

std::optional<Endpoint> parse_endpoint(std::string_view text, EndpointError& error,
                                       bool allow_port_zero) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error.message = "bad address '" + std::string(text) + "': expected [IPv6]:PORT";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error.message = "bad address '" + std::string(text) + "': expected HOST:PORT";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      error.message = "bad address '" + std::string(text) + "': write IPv6 addresses as [ADDRESS]:PORT";
      return std::nullopt;
    }
  }
  if (host.empty()) {
    error.message = "bad address '" + std::string(text) + "': the host is missing";
    return std::nullopt;
  }
  unsigned long port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    error.message = "bad port '" + std::string(port_text) + "' in '" + std::string(text) + "': expected a number 1..65535";
    return std::nullopt;
  }
  if (port > 65535 || (port == 0 && !allow_port_zero)) {
    error.message = "port " + std::string(port_text) + " out of range in '" + std::string(text) + "': expected 1..65535";
    return std::nullopt;
  }

  Endpoint endpoint;
  std::string host_z(host);
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, host_z.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&endpoint.storage, &v4, sizeof v4);
    endpoint.length = sizeof v4;
    return endpoint;
  }
  if (inet_pton(AF_INET6, host_z.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&endpoint.storage, &v6, sizeof v6);
    endpoint.length = sizeof v6;
    return endpoint;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(host_z.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr) {
    error.message = "cannot resolve host '" + host_z + "': " + gai_strerror(rc);
    return std::nullopt;
  }
  std::memcpy(&endpoint.storage, result->ai_addr, result->ai_addrlen);
  endpoint.length = static_cast<socklen_t>(result->ai_addrlen);
  freeaddrinfo(result);
  if (endpoint.family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&endpoint.storage)->sin_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(&endpoint.storage)->sin6_port = htons(static_cast<uint16_t>(port));
  }
  return endpoint;
}

Endpoint make_endpoint(int family, const void* address, uint16_t port) {
  Endpoint out;
  if (family == AF_INET) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&v4.sin_addr, address, 4);
    std::memcpy(&out.storage, &v4, sizeof v4);
    out.length = sizeof v4;
  } else {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&v6.sin6_addr, address, 16);
    std::memcpy(&out.storage, &v6, sizeof v6);
    out.length = sizeof v6;
  }
  return out;
}

std::optional<Endpoint> local_endpoint(int fd) {
  Endpoint local;
  local.length = sizeof local.storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local.storage), &local.length) != 0) return std::nullopt;
  return local;
}

}  // namespace fulcrum::core
