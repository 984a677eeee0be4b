#pragma once
// Which addresses belong to private networks, in the sense of an ELB "internal" load balancer:
// RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared address space (100.64/10, carrier-grade
// NAT), RFC 4193 unique local IPv6 (fc00::/7), loopback (127/8, ::1) and link-local
// (169.254/16, fe80::/10). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as the IPv4
// address it carries, so a dual-stack socket cannot smuggle a public client past the check.
#include <cstdint>
#include <sys/socket.h>

namespace fulcrum::core {

// `bytes`: 4 (AF_INET) or 16 (AF_INET6) bytes in network order. Any other family: false.
bool is_private_network(int family, const uint8_t* bytes);
// The same for a socket address (AF_INET or AF_INET6; others: false).
bool is_private_network(const sockaddr* address);
// The unspecified address (0.0.0.0 or ::): a listener bound there serves every interface.
bool is_unspecified(const sockaddr* address);

}  // namespace fulcrum::core
