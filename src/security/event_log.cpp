#include "security/event_log.hpp"

#include "core/clock.hpp"

namespace fulcrum::security {

const char* to_string(Event event) {
  switch (event) {
    case Event::denied: return "security.denied";
    case Event::external_client: return "security.external_client";
    case Event::too_many_connections: return "security.too_many_connections";
    case Event::connections_too_fast: return "security.connections_too_fast";
    case Event::requests_too_fast: return "security.rate_limited";
    case Event::untracked: return "security.untracked_client";
    case Event::headers_cap: return "security.awaiting_headers_cap";
    case Event::body_too_slow: return "security.body_too_slow";
    case Event::waf_blocked: return "security.waf_blocked";
    case Event::waf_logged: return "security.waf_matched";
    case Event::count_: break;
  }
  return "security.event";
}

bool EventLog::take_line(uint64_t& suppressed_before) {
  const int64_t second = core::now_ms() / 1000;
  int64_t window = window_second_.load(std::memory_order_relaxed);
  if (window != second && window_second_.compare_exchange_strong(window, second, std::memory_order_relaxed)) {
    lines_in_window_.store(0, std::memory_order_relaxed);
  }
  if (lines_in_window_.fetch_add(1, std::memory_order_relaxed) >= kLinesPerSecond) {
    suppressed_pending_.fetch_add(1, std::memory_order_relaxed);
    suppressed_total_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  suppressed_before = suppressed_pending_.exchange(0, std::memory_order_relaxed);
  return true;
}

core::LogLine EventLog::line(Event event, std::string_view listener, const ClientAddress& client) {
  uint64_t suppressed = 0;
  const bool logged = take_line(suppressed) && core::log_enabled(core::LogLevel::warn);
  const core::LogLevel level = event == Event::waf_logged ? core::LogLevel::info : core::LogLevel::warn;
  core::LogLine line(logged ? level : core::LogLevel::debug, to_string(event));
  if (!line.enabled()) return line;
  char text[46];
  line.field("listener", listener).field("client", client.text(text));
  if (suppressed != 0) line.field("suppressed", suppressed);
  return line;
}

}  // namespace fulcrum::security
