#pragma once
// The listening sockets a new process received from the one it replaces (hot binary upgrade,
// runtime/upgrade_channel.hpp). Each is a descriptor of the very socket the old process
// listens on, so taking it over loses nothing: connections waiting in its accept queue stay
// there for whichever process accepts next, and the kernel never refuses a connection.
//
// Sockets are matched to the new configuration by kind and by the address they are bound to
// (read from the socket itself, not from what the old process said). What no listener takes
// is closed at destruction: a listener removed from the file stops with the old process.
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"

namespace fulcrum::runtime {

// What a handed socket serves, as the channel spells it.
enum class SocketKind { stream, datagram, admin, dns_udp, dns_tcp };
std::string_view to_string(SocketKind kind);
bool socket_kind_from(std::string_view text, SocketKind& kind);

struct HandedSocket {
  SocketKind kind;
  int fd = -1;
};

class InheritedSockets {
 public:
  InheritedSockets() = default;
  ~InheritedSockets();
  InheritedSockets(const InheritedSockets&) = delete;
  InheritedSockets& operator=(const InheritedSockets&) = delete;

  // Takes ownership of `fd`.
  void add(SocketKind kind, int fd);
  // Removes and returns every socket of `kind` bound to `address`, in the order received (the
  // old process's worker order). For the admin socket a port of 0 in `address` matches any port
  // on the same host: `--admin-listen 127.0.0.1:0` keeps the admin port the old process had.
  std::vector<int> take(SocketKind kind, const core::Endpoint& address);
  size_t size() const { return sockets_.size(); }
  // "stream 127.0.0.1:8080, admin 127.0.0.1:9090": for the log.
  std::string describe() const;

 private:
  struct Entry {
    SocketKind kind;
    int fd;
    core::Endpoint bound;  // getsockname()
  };
  std::vector<Entry> sockets_;
};

}  // namespace fulcrum::runtime
