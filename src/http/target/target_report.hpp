#pragma once
// The one place where the HTTP proxy says how a target did on a request: a response (with its
// status), or a failure to connect, a reset, a timeout, a malformed response. Passive health
// checking learns from here (upstream/passive_report.hpp: failures and 5xx count toward outlier
// ejection, anything else ends a failure streak), and so does the response-time average that
// least_response_time balances on.
#include <cstdint>

#include "upstream/snapshot.hpp"

namespace fulcrum::http {

enum class TargetOutcome : uint8_t {
  response,         // a complete response head arrived: `status` is set
  connect_refused,  // or unreachable
  connect_timeout,
  failed,           // reset or closed before a complete response head
  timed_out,        // no response within response_timeout
  bad_response,     // the response head or body was malformed
};

const char* to_string(TargetOutcome outcome);

// `first_byte_us`: time from sending the request to the first byte of the response (or to the
// failure); `now_us`: the caller's clock.
void report_target_outcome(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target,
                           TargetOutcome outcome, uint16_t status, int64_t first_byte_us, int64_t now_us);

}  // namespace fulcrum::http
