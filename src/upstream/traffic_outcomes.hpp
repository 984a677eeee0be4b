#pragma once
// What real traffic tells about a target (passive health): the data path counts failures in
// a row here with relaxed atomics, the health room's outlier detector on the control thread
// reads them and ejects. Writers use report_traffic_failure / report_traffic_success
// (passive_report.hpp), never these fields directly.
#include <atomic>
#include <cstdint>

namespace fulcrum::upstream {

enum class TrafficFailure : uint8_t {
  connect_refused,  // the target refused the connection (RST to our SYN)
  connect_timeout,  // no answer to our SYN within connect_timeout
  connect_error,    // unreachable, or another connect error
  reset,            // the target reset an established connection
  timeout,          // the target never answered a request in time
  http_5xx,         // an HTTP answer 500..599 (counted when outlier_detection.count_5xx)
};

const char* to_string(TrafficFailure failure);
// A readable phrase: "connection refused", "answered 5xx".
const char* describe(TrafficFailure failure);

// One cache line per target, apart from the balancing counters: failures are rare, and a
// success only writes when a failure streak is to be ended.
struct alignas(64) TrafficOutcomes {
  std::atomic<uint32_t> consecutive_failures{0};
  std::atomic<uint8_t> last_failure{0};  // a TrafficFailure
  std::atomic<uint64_t> failures_total{0};
};

}  // namespace fulcrum::upstream
