#include "runtime/inherited_sockets.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>

namespace fulcrum::runtime {
namespace {

constexpr std::array<std::pair<SocketKind, std::string_view>, 5> kKindNames{{
    {SocketKind::stream, "stream"},
    {SocketKind::datagram, "datagram"},
    {SocketKind::admin, "admin"},
    {SocketKind::dns_udp, "dns-udp"},
    {SocketKind::dns_tcp, "dns-tcp"},
}};

}  // namespace

std::string_view to_string(SocketKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "?";
}

bool socket_kind_from(std::string_view text, SocketKind& kind) {
  for (const auto& [k, name] : kKindNames) {
    if (name == text) {
      kind = k;
      return true;
    }
  }
  return false;
}

InheritedSockets::~InheritedSockets() {
  for (const auto& entry : sockets_) ::close(entry.fd);
}

void InheritedSockets::add(SocketKind kind, int fd) {
  // An unknown address (length 0) matches nothing; the descriptor is closed at destruction.
  sockets_.push_back(Entry{kind, fd, core::local_endpoint(fd).value_or(core::Endpoint{})});
}

std::vector<int> InheritedSockets::take(SocketKind kind, const core::Endpoint& address) {
  std::vector<int> taken;
  std::vector<Entry> rest;
  for (const auto& entry : sockets_) {
    const bool same_place = entry.bound.length != 0 && entry.bound.family() == address.family() &&
                            entry.bound.host_string() == address.host_string() &&
                            (entry.bound.port() == address.port() || (kind == SocketKind::admin && address.port() == 0));
    if (entry.kind == kind && same_place) {
      taken.push_back(entry.fd);
    } else {
      rest.push_back(entry);
    }
  }
  sockets_ = std::move(rest);
  return taken;
}

std::string InheritedSockets::describe() const {
  std::string out;
  for (const auto& entry : sockets_) {
    if (!out.empty()) out += ", ";
    out += to_string(entry.kind);
    out += ' ';
    out += entry.bound.length != 0 ? entry.bound.to_string() : "?";
  }
  return out;
}

}  // namespace fulcrum::runtime
