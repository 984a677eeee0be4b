#include "admin/prometheus_metrics.hpp"

#include <cstdio>
#include <set>
#include <vector>

#include "core/access_log_writer.hpp"

namespace fulcrum::admin {
namespace {

using upstream::LatencyTotals;
using upstream::StatsTotals;

constexpr const char* kClassNames[upstream::kStatusClasses] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr upstream::TargetState kStates[] = {upstream::TargetState::initial, upstream::TargetState::healthy,
                                             upstream::TargetState::unhealthy, upstream::TargetState::draining,
                                             upstream::TargetState::unused};

// One metric family: HELP and TYPE once, then every sample of it, as the format requires.
struct Family {
  const char* name;
  const char* type;
  const char* help;
  std::string samples;
};

std::string number(double value) {
  char out[32];
  std::snprintf(out, sizeof out, "%.9g", value);  // microsecond sums in seconds: 9 digits are exact enough
  return out;
}

std::string seconds(uint64_t microseconds) { return number(static_cast<double>(microseconds) / 1e6); }

class Families {
 public:
  Family& add(const char* name, const char* type, const char* help) {
    families_.push_back(Family{name, type, help, {}});
    return families_.back();
  }
  std::string render() const {
    std::string out;
    for (const auto& f : families_) {
      if (f.samples.empty()) continue;
      out += "# HELP ";
      out += f.name;
      out += ' ';
      out += f.help;
      out += "\n# TYPE ";
      out += f.name;
      out += ' ';
      out += f.type;
      out += '\n';
      out += f.samples;
    }
    return out;
  }

 private:
  std::vector<Family> families_;  // reserved up front: references stay valid
 public:
  Families() { families_.reserve(64); }
};

void sample(Family& family, const std::string& labels, const std::string& value, const char* suffix = "") {
  family.samples += family.name;
  family.samples += suffix;
  if (!labels.empty()) {
    family.samples += '{';
    family.samples += labels;
    family.samples += '}';
  }
  family.samples += ' ';
  family.samples += value;
  family.samples += '\n';
}

void sample(Family& family, const std::string& labels, uint64_t value) {
  sample(family, labels, std::to_string(value));
}

void histogram(Family& family, const std::string& labels, const LatencyTotals& totals) {
  uint64_t cumulative = 0;
  const std::string prefix = labels.empty() ? std::string() : labels + ",";
  for (size_t i = 0; i < upstream::kLatencyBuckets; ++i) {
    cumulative += totals.buckets[i];
    const std::string le =
        i < upstream::kLatencyBoundsUs.size() ? seconds(static_cast<uint64_t>(upstream::kLatencyBoundsUs[i])) : "+Inf";
    sample(family, prefix + "le=\"" + le + "\"", std::to_string(cumulative), "_bucket");
  }
  sample(family, labels, seconds(totals.sum_us), "_sum");
  sample(family, labels, std::to_string(totals.count), "_count");
}

std::string label(const char* name, std::string_view value) {
  return std::string(name) + "=\"" + escape_label_value(value) + "\"";
}

// The families every level (listener, group, target) has, filled from one StatsTotals.
struct TrafficFamilies {
  Family* requests;
  Family* bytes_in;
  Family* bytes_out;
  Family* request_duration;

  void add(const std::string& labels, const StatsTotals& totals, bool with_requests) const {
    if (with_requests) {
      for (size_t c = 0; c < upstream::kStatusClasses; ++c) {
        sample(*requests, labels + "," + label("code_class", kClassNames[c]), totals.responses[c]);
      }
    }
    sample(*bytes_in, labels, totals.bytes_in);
    sample(*bytes_out, labels, totals.bytes_out);
    histogram(*request_duration, labels, totals.request);
  }
};

// Groups some HTTP listener forwards to: they count requests by status class.
std::set<std::string, std::less<>> http_groups(const config::Config& config) {
  std::set<std::string, std::less<>> names;
  for (const auto& l : config.listeners) {
    if (!is_http(l.protocol)) continue;
    for (const auto& g : l.default_action.forward) names.insert(g.group);
    for (const auto& rule : l.rules) {
      for (const auto& g : rule.action.forward) names.insert(g.group);
    }
  }
  return names;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_metrics(const upstream::TargetRegistry& registry) {
  const auto& snapshot = registry.last();
  Families f;
  auto& info = f.add("fulcrum_snapshot_version", "gauge", "Version of the target snapshot the workers serve from.");
  if (snapshot) sample(info, "", snapshot->version);
  const core::AccessLogCounts access_log = core::access_log_counts();
  sample(f.add("fulcrum_access_log_lines_total", "counter", "Access-log lines queued to the writer."), "",
         access_log.lines);
  sample(f.add("fulcrum_access_log_lines_dropped_total", "counter",
               "Access-log lines dropped: the sink did not keep up and the worker's queue was full."),
         "", access_log.dropped);
  if (!snapshot) return f.render();
  const auto& config = *snapshot->config;

  // Listeners.
  TrafficFamilies listener{
      &f.add("fulcrum_listener_requests_total", "counter", "HTTP requests answered, by status class (none: no response)."),
      &f.add("fulcrum_listener_bytes_in_total", "counter", "Bytes received from clients."),
      &f.add("fulcrum_listener_bytes_out_total", "counter", "Bytes sent to clients."),
      &f.add("fulcrum_listener_request_duration_seconds", "histogram",
             "HTTP: from a request's first byte to the end of its response. TCP: a connection's whole life.")};
  auto& listener_connections = f.add("fulcrum_listener_connections_total", "counter", "Client connections accepted.");
  auto& listener_active = f.add("fulcrum_listener_active_connections", "gauge", "Client connections open now.");
  for (size_t i = 0; i < config.listeners.size() && i < snapshot->listener_stats.size(); ++i) {
    const auto& l = config.listeners[i];
    if (l.protocol == config::ListenerProtocol::udp) continue;  // flows are not counted here yet
    const StatsTotals totals = snapshot->listener_stats[i]->sum();
    const std::string labels = label("listener", l.name);
    listener.add(labels, totals, is_http(l.protocol));
    sample(listener_connections, labels, totals.connections_opened);
    sample(listener_active, labels, totals.active_connections());
  }

  // Groups, then targets.
  TrafficFamilies group{
      &f.add("fulcrum_group_requests_total", "counter", "HTTP requests answered by the group's targets, by status class."),
      &f.add("fulcrum_group_bytes_in_total", "counter", "Bytes from clients relayed to the group's targets."),
      &f.add("fulcrum_group_bytes_out_total", "counter", "Bytes from the group's targets relayed to clients."),
      &f.add("fulcrum_group_request_duration_seconds", "histogram",
             "Requests (HTTP) or connections (TCP) served by the group's targets.")};
  auto& group_connect_errors =
      f.add("fulcrum_group_connect_errors_total", "counter", "Connections to the group's targets that failed.");
  auto& group_retries = f.add("fulcrum_group_retries_total", "counter", "Attempts on another target after a failed one.");
  auto& group_retries_refused = f.add("fulcrum_group_retries_refused_total", "counter",
                                      "Retries not made because the group's retry_budget was spent (HTTP).");
  auto& group_targets = f.add("fulcrum_group_targets", "gauge", "Targets of the group in each state.");
  auto& group_failing_open =
      f.add("fulcrum_group_failing_open", "gauge", "1 when no target is healthy and traffic goes to all (fail_open).");

  TrafficFamilies target{
      &f.add("fulcrum_target_requests_total", "counter", "HTTP requests the target answered, by status class."),
      &f.add("fulcrum_target_bytes_in_total", "counter", "Bytes from clients relayed to the target."),
      &f.add("fulcrum_target_bytes_out_total", "counter", "Bytes from the target relayed to clients."),
      &f.add("fulcrum_target_request_duration_seconds", "histogram",
             "Requests (HTTP) or connections (TCP) the target served, start to end.")};
  auto& target_connect = f.add("fulcrum_target_connect_duration_seconds", "histogram",
                               "Time to connect to the target (new connections only).");
  auto& target_first_byte = f.add("fulcrum_target_first_byte_duration_seconds", "histogram",
                                  "From the request sent (HTTP) or the connection made (TCP) to the target's first byte.");
  auto& target_connections = f.add("fulcrum_target_connections_total", "counter", "Connections opened to the target.");
  auto& target_active = f.add("fulcrum_target_active_connections", "gauge",
                              "Connections (TCP) or requests in flight (HTTP) on the target now, over all workers.");
  auto& target_connect_errors = f.add("fulcrum_target_connect_errors_total", "counter",
                                      "Connections to the target refused, unreachable or timed out.");
  auto& target_retries =
      f.add("fulcrum_target_retries_total", "counter", "Attempts that came to the target after another target failed.");
  auto& target_ejections =
      f.add("fulcrum_target_ejections_total", "counter", "Times the target was ejected on real traffic (outlier detection).");
  auto& target_health = f.add("fulcrum_target_health", "gauge", "1 for the target's current state, 0 for the others.");
  auto& target_up = f.add("fulcrum_target_up", "gauge", "1 when the target takes new traffic (healthy), else 0.");
  auto& target_weight = f.add("fulcrum_target_weight", "gauge", "The target's configured weight.");
  auto& target_info = f.add("fulcrum_target_info", "gauge",
                            "Always 1: where the target comes from (origin: file, or dns:NAME / srv:NAME for a "
                            "discovered one) and its SRV priority tier.");

  const auto http = http_groups(config);
  for (const auto& g : snapshot->groups) {
    const bool counts_requests = http.count(g.name()) > 0;
    const std::string group_labels = label("group", g.name());
    StatsTotals group_totals;
    uint64_t states[std::size(kStates)] = {};
    auto each_target = [&](const upstream::TargetInfo& t) {
      const std::string labels = group_labels + "," + label("target", t.address_text);
      const StatsTotals totals = t.stats ? t.stats->sum() : StatsTotals{};
      group_totals.add(totals);
      target.add(labels, totals, counts_requests);
      histogram(target_connect, labels, totals.connect);
      histogram(target_first_byte, labels, totals.first_byte);
      sample(target_connections, labels, totals.connections_opened);
      sample(target_active, labels, t.counters->active.load(std::memory_order_relaxed));
      sample(target_connect_errors, labels, totals.connect_errors);
      sample(target_retries, labels, totals.retries);
      sample(target_ejections, labels, registry.ejections(g.name(), t.address_text));
      const auto* status = registry.status(g.name(), t.address_text);
      const auto state = status != nullptr ? status->state : t.status.state;
      for (size_t s = 0; s < std::size(kStates); ++s) {
        const bool current = state == kStates[s];
        if (current) ++states[s];
        sample(target_health, labels + "," + label("state", upstream::to_string(kStates[s])), current ? 1 : 0);
      }
      sample(target_up, labels, state == upstream::TargetState::healthy ? 1 : 0);
      sample(target_weight, labels, t.weight);
      sample(target_info,
             labels + "," + label("origin", t.origin.empty() ? "file" : t.origin) + "," +
                 label("tier", std::to_string(t.tier)),
             1);
    };
    for (const auto& t : g.targets) each_target(t);
    for (const auto& t : g.draining) each_target(t);
    group.add(group_labels, group_totals, counts_requests);
    sample(group_connect_errors, group_labels, group_totals.connect_errors);
    sample(group_retries, group_labels, group_totals.retries);
    if (g.retry_budget && http.count(g.name()) != 0) sample(group_retries_refused, group_labels, g.retry_budget->refused.load(std::memory_order_relaxed));
    for (size_t s = 0; s < std::size(kStates); ++s) {
      sample(group_targets, group_labels + "," + label("state", upstream::to_string(kStates[s])), states[s]);
    }
    sample(group_failing_open, group_labels, g.failing_open ? 1 : 0);
  }
  return f.render();
}

std::string render_udp_metrics(const std::vector<UdpListenerTotals>& listeners) {
  Families f;
  auto& datagrams_in = f.add("fulcrum_udp_datagrams_in_total", "counter", "Datagrams from clients forwarded to targets.");
  auto& datagrams_out = f.add("fulcrum_udp_datagrams_out_total", "counter", "Datagrams from targets sent to clients.");
  auto& bytes_in = f.add("fulcrum_udp_bytes_in_total", "counter", "Bytes of the datagrams forwarded to targets.");
  auto& bytes_out = f.add("fulcrum_udp_bytes_out_total", "counter", "Bytes of the datagrams targets sent back.");
  auto& flows_active = f.add("fulcrum_udp_flows_active", "gauge", "Flows (client address:port to one target) open now.");
  auto& flows_total = f.add("fulcrum_udp_flows_total", "counter", "Flows opened.");
  auto& flows_ended = f.add("fulcrum_udp_flows_ended_total", "counter",
                            "Flows ended, by reason: idle_timeout, evicted (max_flows reached: the oldest made room), "
                            "target_unreachable (ICMP port unreachable), target_unhealthy (its target was ejected on traffic; the client's "
                            "next datagram went to another), deregistered (the target's deregistration delay ran out).");
  auto& rerouted = f.add("fulcrum_udp_datagrams_rerouted_total", "counter",
                         "Datagrams a target's closed port refused (ICMP) before it answered, sent to another target.");
  auto& dropped = f.add("fulcrum_udp_datagrams_dropped_total", "counter",
                        "Datagrams dropped, by reason: no_target (no eligible target), send (a socket buffer was full).");
  for (const auto& l : listeners) {
    const std::string labels = label("listener", l.listener);
    sample(datagrams_in, labels, l.datagrams_in);
    sample(datagrams_out, labels, l.datagrams_out);
    sample(bytes_in, labels, l.bytes_in);
    sample(bytes_out, labels, l.bytes_out);
    sample(flows_active, labels, l.flows_created > l.flows_closed ? l.flows_created - l.flows_closed : 0);
    sample(flows_total, labels, l.flows_created);
    sample(flows_ended, labels + "," + label("reason", "idle_timeout"), l.flows_expired);
    sample(flows_ended, labels + "," + label("reason", "evicted"), l.flows_evicted);
    sample(flows_ended, labels + "," + label("reason", "target_unreachable"), l.flows_target_unreachable);
    sample(flows_ended, labels + "," + label("reason", "deregistered"), l.flows_deregistered);
    sample(flows_ended, labels + "," + label("reason", "target_unhealthy"), l.flows_target_unhealthy);
    sample(rerouted, labels, l.datagrams_rerouted);
    sample(dropped, labels + "," + label("reason", "no_target"), l.dropped_no_target);
    sample(dropped, labels + "," + label("reason", "send"), l.dropped_send);
  }
  return f.render();
}

}  // namespace fulcrum::admin
