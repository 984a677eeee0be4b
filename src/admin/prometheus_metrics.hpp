#pragma once
// GET /metrics: the Prometheus text exposition format (version 0.0.4), rendered on the control
// thread from the latest snapshot by summing each listener's and target's per-worker counter
// slots (upstream/traffic_stats.hpp). The data path takes no lock for any of it.
//
// Families (labels): fulcrum_listener_* (listener), fulcrum_group_* (group), fulcrum_target_*
// (group, target); requests by code_class ("1xx".."5xx", "none": no response), bytes in/out,
// connections, connect errors, retries, health state, ejections, and latency histograms
// (request, connect, first byte). The list with meanings is in docs/admin-api.md.
#include <cstdint>
#include <string>
#include <vector>

#include "upstream/target_registry.hpp"

namespace fulcrum::admin {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const upstream::TargetRegistry& registry);

// A `protocol: udp` listener's counters summed over its workers (runtime reads them from the
// forwarders: l4/udp_forwarder.hpp), rendered as the fulcrum_udp_* families.
struct UdpListenerTotals {
  std::string listener;
  uint64_t datagrams_in = 0, datagrams_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t flows_created = 0, flows_closed = 0, flows_expired = 0, flows_evicted = 0, flows_target_unreachable = 0;
  uint64_t flows_deregistered = 0;
  uint64_t flows_target_unhealthy = 0;
  uint64_t datagrams_rerouted = 0;
  uint64_t dropped_no_target = 0, dropped_send = 0;
};
std::string render_udp_metrics(const std::vector<UdpListenerTotals>& listeners);

// A label value with \, " and newline escaped, as the format requires.
std::string escape_label_value(std::string_view value);

}  // namespace fulcrum::admin
