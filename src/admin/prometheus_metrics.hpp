#pragma once
// GET /metrics: the Prometheus text exposition format (version 0.0.4), rendered on the control
// thread from the latest snapshot by summing each listener's and target's per-worker counter
// slots (upstream/traffic_stats.hpp). The data path takes no lock for any of it.
//
// Families (labels): fulcrum_listener_* (listener), fulcrum_group_* (group), fulcrum_target_*
// (group, target); requests by code_class ("1xx".."5xx", "none": no response), bytes in/out,
// connections, connect errors, retries, health state, ejections, and latency histograms
// (request, connect, first byte). The list with meanings is in docs/admin-api.md.
#include <string>

#include "upstream/target_registry.hpp"

namespace fulcrum::admin {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const upstream::TargetRegistry& registry);

// A label value with \, " and newline escaped, as the format requires.
std::string escape_label_value(std::string_view value);

}  // namespace fulcrum::admin
