#pragma once
// The kinds of block, drop and limit, and their log lines with a budget: at most
// `kLinesPerSecond` lines a second for the whole process, so that an attack cannot flood the
// log (or spend the workers' time writing it); the lines over budget are counted and reported
// by the next line that goes out ("suppressed": N). The events themselves are counted per
// listener (ListenerCounters; Guards::record counts and asks for the line).
#include <atomic>
#include <cstdint>
#include <string_view>

#include "core/log.hpp"
#include "security/client_address.hpp"

namespace fulcrum::security {

enum class Event : uint8_t {
  denied,                // the access list refused the address
  external_client,       // an internal listener refused a client from outside the private networks
  too_many_connections,  // max_connections_per_client
  connections_too_fast,  // connections_per_second
  requests_too_fast,     // rate_limit (429)
  untracked,             // the client table's group was full of open connections: admitted untracked
  headers_cap,           // max_connections_awaiting_headers
  body_too_slow,         // min_body_rate
  waf_blocked,
  waf_logged,
  count_
};
const char* to_string(Event event);

class EventLog {
 public:
  static constexpr uint32_t kLinesPerSecond = 20;

  // The event's log line, enabled only when the budget allows (add fields, then emit()).
  // Already carries event, listener and client.
  core::LogLine line(Event event, std::string_view listener, const ClientAddress& client);
  uint64_t suppressed() const { return suppressed_total_.load(std::memory_order_relaxed); }

 private:
  bool take_line(uint64_t& suppressed_before);

  std::atomic<int64_t> window_second_{0};
  std::atomic<uint32_t> lines_in_window_{0};
  std::atomic<uint64_t> suppressed_pending_{0};
  std::atomic<uint64_t> suppressed_total_{0};
};

}  // namespace fulcrum::security
