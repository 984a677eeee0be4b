#include "http/target/target_report.hpp"

#include <algorithm>

#include "upstream/passive_report.hpp"

namespace fulcrum::http {

const char* to_string(TargetOutcome outcome) {
  switch (outcome) {
    case TargetOutcome::response: return "response";
    case TargetOutcome::connect_refused: return "connect_refused";
    case TargetOutcome::connect_timeout: return "connect_timeout";
    case TargetOutcome::failed: return "failed";
    case TargetOutcome::timed_out: return "timed_out";
    case TargetOutcome::bad_response: return "bad_response";
  }
  return "?";
}

void report_target_outcome(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target,
                           TargetOutcome outcome, uint16_t status, int64_t first_byte_us, int64_t now_us) {
  using upstream::TrafficFailure;
  switch (outcome) {
    case TargetOutcome::response:
      if (status >= 500 && status <= 599) {
        upstream::report_traffic_failure(group, target, TrafficFailure::http_5xx);
      } else {
        upstream::report_traffic_success(target);
      }
      break;
    case TargetOutcome::connect_refused:
      upstream::report_traffic_failure(group, target, TrafficFailure::connect_refused);
      break;
    case TargetOutcome::connect_timeout:
      upstream::report_traffic_failure(group, target, TrafficFailure::connect_timeout);
      break;
    case TargetOutcome::failed:
    case TargetOutcome::bad_response:  // a broken answer is the target misbehaving, as a reset is
      upstream::report_traffic_failure(group, target, TrafficFailure::reset);
      break;
    case TargetOutcome::timed_out:
      upstream::report_traffic_failure(group, target, TrafficFailure::timeout);
      break;
  }
  if (first_byte_us < 0) return;
  // A failure teaches least_response_time how long it took to fail, which is what it cost.
  target.counters->record_response_time(static_cast<uint32_t>(std::min<int64_t>(first_byte_us, UINT32_MAX)), now_us);
}

}  // namespace fulcrum::http
