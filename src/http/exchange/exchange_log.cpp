// What an exchange leaves behind: the counters /metrics sums and the access-log line (json
// fields, or NCSA combined with the balancer's fields after it).
#include <chrono>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/exchange/combined_log_line.hpp"
#include "http/exchange/exchange_driver.hpp"
#include "http/h1/head_writer.hpp"

namespace fulcrum::http {

// Counts the request for /metrics: the listener's and, when one answered, the target's slot
// of this worker (plain adds, no lock).
void ExchangeDriver::record_stats(const Exchange& x) {
  const int64_t duration_us = core::now_us() - x.started_us;
  const size_t status_class = upstream::status_class(x.status);
  if (auto* stats = listener_stats()) {
    auto& slot = stats->local();
    slot.responses[status_class].add();
    slot.bytes_in.add(x.bytes_in);
    slot.bytes_out.add(x.bytes_out);
    slot.request.record(duration_us);
  }
  if (x.group_index < 0 || x.target_index < 0) return;
  const auto& target =
      snapshot_->groups[static_cast<size_t>(x.group_index)].targets[static_cast<size_t>(x.target_index)];
  if (!target.stats) return;
  auto& slot = target.stats->local();
  slot.responses[status_class].add();
  slot.bytes_in.add(x.bytes_in);
  slot.bytes_out.add(x.bytes_out);
  slot.request.record(duration_us);
  if (x.connect_us > 0 && !x.reused) slot.connect.record(x.connect_us);
  if (x.first_byte_us >= 0) slot.first_byte.record(x.first_byte_us);
}

// Every target a retried request went to, in order ("10.0.0.4:80 10.0.0.5:80"); empty for one.
std::string_view ExchangeDriver::tried_targets(const Exchange& x, char (&out)[512]) const {
  if (x.attempts < 2 || x.group_index < 0) return {};
  const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
  HeadWriter text(out, sizeof out);
  for (uint32_t i = 0; i < x.attempts; ++i) {
    if (i > 0) text.append(" ");
    text.append(group.targets[x.avoid[i]].address_text);
  }
  return text.overflowed() ? std::string_view("...") : text.view();
}

// The client's protocol as a request line names it.
std::string_view ExchangeDriver::protocol(const Exchange& x) const {
  if (who_.http2) return "HTTP/2.0";
  return x.client_http10 ? "HTTP/1.0" : "HTTP/1.1";
}

void ExchangeDriver::log_request(Exchange& x) {
  record_stats(x);
  const auto& l = listener();
  char ip[INET6_ADDRSTRLEN];
  char tried[512];
  if (core::log_settings().access_format == core::AccessLogFormat::combined) {
    if (!core::access_log_enabled()) return;
    CombinedLogFields f;
    f.client = client_ip(ip);
    f.method = x.method.view();
    f.path = x.path.view();
    if (!f.method.empty()) f.version = protocol(x);
    f.status = x.status;
    f.bytes_out = x.bytes_out;
    f.referer = x.referer.view();
    f.user_agent = x.user_agent.view();
    f.host = x.host.view();
    f.bytes_in = x.bytes_in;
    f.duration_us = core::now_us() - x.started_us;
    f.connect_us = x.connect_us;
    f.first_byte_us = x.first_byte_us;
    if (x.group_index >= 0) {
      const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
      f.group = group.name();
      if (x.target_index >= 0) f.target = group.targets[static_cast<size_t>(x.target_index)].address_text;
    }
    f.attempts = x.attempts;
    f.tried = tried_targets(x, tried);
    f.rule = x.rule;
    f.desync_tier = to_string(x.tier);
    if (x.request_id[0] != '-') f.request_id = std::string_view(x.request_id, sizeof x.request_id);
    std::string& line = core::access_line_buffer();
    format_combined_line(line, f, std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());
    core::write_access_line(line);
    return;
  }
  core::LogLine line = core::LogLine::access("http.request");
  line.field("listener", l.name)
      .field("client", client_ip(ip))
      .field("method", x.method.view())
      .field("host", x.host.view())
      .field("path", x.path.view())
      .field("status", static_cast<uint64_t>(x.status))
      .field("request_id", std::string_view(x.request_id, sizeof x.request_id));
  if (!x.rule.empty()) line.field("rule", x.rule);
  if (x.group_index >= 0) {
    const auto& group = snapshot_->groups[static_cast<size_t>(x.group_index)];
    line.field("group", group.name());
    if (x.target_index >= 0) {
      line.field("target", group.targets[static_cast<size_t>(x.target_index)].address_text);
      line.field("reused", x.reused);
    }
    line.field("attempts", static_cast<uint64_t>(x.attempts));
    if (x.attempts > 1) line.field("tried", tried_targets(x, tried));
  }
  line.field("bytes_in", x.bytes_in)
      .field("bytes_out", x.bytes_out)
      .field("duration_ms", static_cast<double>(core::now_us() - x.started_us) / 1000.0);
  if (x.connect_us >= 0) line.field("connect_ms", static_cast<double>(x.connect_us) / 1000.0);
  if (x.first_byte_us >= 0) line.field("first_byte_ms", static_cast<double>(x.first_byte_us) / 1000.0);
  if (x.tier != DesyncTier::compliant) line.field("desync", to_string(x.desync)).field("desync_tier", to_string(x.tier));
  line.field("protocol", protocol(x));
  line.emit();
}

}  // namespace fulcrum::http
