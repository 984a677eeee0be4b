#pragma once
// One listener's `security:` section compiled for the data path: the access list, the
// per-client limits as rate shapes, and whether its clients need a slot in the client table.
// Built once per configuration (Guards::for_config) and shared read-only by every worker.
#include <atomic>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "security/access_list.hpp"
#include "security/listener_counters.hpp"
#include "security/rate_shape.hpp"

namespace fulcrum::security {

struct ListenerGuard {
  explicit ListenerGuard(const config::ListenerConfig& listener);

  std::string name;
  AccessList access;
  uint64_t seed = 0;  // from the listener's name: its clients' counts survive a reload
  uint32_t max_connections_per_client = 0;
  uint32_t ipv6_client_prefix = 64;  // IPv6 clients are counted per network of this length
  RateShape connection_rate;
  RateShape request_rate;
  // accept_proxy_protocol: the client is the one the PROXY header announces, so the access
  // list and the per-client limits run after the header, not at accept (l4 sessions).
  bool after_proxy_header = false;
  // scheme: internal: only clients from private networks (core/private_network.hpp) get in.
  bool internal = false;
  // tcp and tls listeners have no requests: rate_limit counts their new connections.
  bool connections_are_requests = false;
  // http(s): cap on connections still sending a request head (the first from accept, later
  // ones from their first byte), and their count over all
  // workers (owned by Guards, one per listener name, stable across reloads).
  uint32_t max_awaiting_headers = 0;
  std::atomic<int64_t>* awaiting_headers = nullptr;
  // Its security events (owned by Guards, one per listener name, stable across reloads).
  ListenerCounters* counters = nullptr;

  // Some per-client limit is on: connections take a slot in the client table.
  bool tracks_clients() const { return max_connections_per_client != 0 || connection_rate.on() || request_rate.on(); }
  // Nothing to check at accept time.
  bool open() const { return !internal && access.empty() && !tracks_clients() && max_awaiting_headers == 0; }
};

}  // namespace fulcrum::security
