#include "security/guards.hpp"

#include "core/clock.hpp"
#include "core/private_network.hpp"

namespace fulcrum::security {

std::shared_ptr<const ListenerGuards> Guards::for_config(const std::shared_ptr<const config::Config>& config) {
  std::lock_guard lock(mutex_);
  if (compiled_for_ != config || !compiled_) {
    auto guards = std::make_shared<ListenerGuards>();
    guards->reserve(config->listeners.size());
    for (const auto& listener : config->listeners) {
      guards->emplace_back(listener);
      auto& state = listeners_[listener.name];
      if (!state) state = std::make_unique<ListenerState>(workers_);
      guards->back().awaiting_headers = &state->awaiting_headers;
      guards->back().counters = &state->counters;
    }
    compiled_ = std::move(guards);
    compiled_for_ = config;
  }
  return compiled_;
}

core::LogLine Guards::record(const ListenerGuard& guard, Event event, const ClientAddress& client) {
  if (guard.counters != nullptr) guard.counters->add(event);
  return events_.line(event, guard.name, client);
}

bool Guards::admit(const ListenerGuard& guard, const ClientAddress& client, ClientTicket& ticket) {
  // Before the access list: an allow entry cannot open an internal listener to the internet.
  if (guard.internal && !core::is_private_network(client.family, client.bytes)) {
    auto line = record(guard, Event::external_client, client);
    if (line.enabled()) line.field("scheme", "internal").emit();
    return false;
  }
  if (!guard.access.allows(client)) {
    auto line = record(guard, Event::denied, client);
    if (line.enabled()) line.field("rule", guard.access.deciding_network(client)).emit();
    return false;
  }
  if (!guard.tracks_clients() || client.family == 0) return true;
  const int64_t now = core::now_us() * 1000;
  const auto admission = table_.admit(table_.key(guard.seed, client.counted_as(guard.ipv6_client_prefix)),
                                      guard.max_connections_per_client,
                                      guard.connection_rate, now);
  switch (admission.verdict) {
    case ClientTable::Verdict::admitted: {
      ticket = ClientTicket(&table_, admission.slot);
      int64_t wait_ns = 0;
      if (guard.connections_are_requests && !table_.take_request(admission.slot, guard.request_rate, now, wait_ns)) {
        ticket.reset();
        auto line = record(guard, Event::requests_too_fast, client);
        if (line.enabled()) line.field("wait_ms", wait_ns / 1000000).emit();
        return false;
      }
      return true;
    }
    case ClientTable::Verdict::untracked:
      if (guard.counters != nullptr) guard.counters->add(Event::untracked);
      return true;
    case ClientTable::Verdict::too_many_connections: {
      auto line = record(guard, Event::too_many_connections, client);
      if (line.enabled()) line.field("limit", guard.max_connections_per_client).emit();
      return false;
    }
    case ClientTable::Verdict::too_fast: {
      auto line = record(guard, Event::connections_too_fast, client);
      if (line.enabled()) line.field("wait_ms", admission.wait_ns / 1000000).emit();
      return false;
    }
  }
  return true;
}

std::string Guards::prometheus_text() {
  std::shared_ptr<const ListenerGuards> guards;
  {
    std::lock_guard lock(mutex_);
    guards = compiled_;
  }
  std::string out =
      "# HELP fulcrum_security_events_total Connections and requests refused or flagged by listener security "
      "controls, by listener and event.\n# TYPE fulcrum_security_events_total counter\n";
  if (guards) {
    // Listener names are configuration names ([A-Za-z0-9._-]): nothing to escape in a label.
    for (const ListenerGuard& guard : *guards) {
      if (guard.counters == nullptr) continue;
      for (size_t i = 0; i < static_cast<size_t>(Event::count_); ++i) {
        const auto event = static_cast<Event>(i);
        std::string_view name = to_string(event);
        name.remove_prefix(sizeof "security." - 1);
        out += "fulcrum_security_events_total{listener=\"" + guard.name + "\",event=\"" + std::string(name) + "\"} " +
               std::to_string(guard.counters->total(event)) + "\n";
      }
    }
  }
  out += "# HELP fulcrum_security_log_lines_suppressed_total Security log lines left out by the 20 lines/s budget.\n"
         "# TYPE fulcrum_security_log_lines_suppressed_total counter\n"
         "fulcrum_security_log_lines_suppressed_total " + std::to_string(events_.suppressed()) + "\n";
  out += "# HELP fulcrum_security_client_evictions_total Idle client slots taken over by new client addresses.\n"
         "# TYPE fulcrum_security_client_evictions_total counter\n"
         "fulcrum_security_client_evictions_total " + std::to_string(table_.evictions()) + "\n";
  out += "# HELP fulcrum_security_client_table_bytes Memory of the per-client table (fixed).\n"
         "# TYPE fulcrum_security_client_table_bytes gauge\n"
         "fulcrum_security_client_table_bytes " + std::to_string(table_.memory_bytes()) + "\n";
  return out;
}

bool Guards::admit_request(const ListenerGuard& guard, const ClientAddress& client, const ClientTicket& ticket,
                           uint32_t& retry_after_s) {
  if (!guard.request_rate.on() || !ticket.held()) return true;
  int64_t wait_ns = 0;
  if (table_.take_request(ticket.slot(), guard.request_rate, core::now_us() * 1000, wait_ns)) return true;
  retry_after_s = static_cast<uint32_t>(std::max<int64_t>(1, (wait_ns + 999999999) / 1000000000));
  auto line = record(guard, Event::requests_too_fast, client);
  if (line.enabled()) line.field("retry_after_s", retry_after_s).emit();
  return false;
}

}  // namespace fulcrum::security
