#pragma once
// The HTTP status codes a health check accepts: "200", "200-399", "200,204", "200-299,302".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fulcrum::config {

struct StatusRange {
  uint32_t low = 0;
  uint32_t high = 0;  // inclusive
};

struct StatusMatcher {
  std::vector<StatusRange> ranges;
  bool matches(uint32_t status) const;
};

// Codes must be 100..599 and ranges ascending ("399-200" is refused); `error` says why not.
std::optional<StatusMatcher> parse_status_matcher(std::string_view text, std::string& error);

}  // namespace fulcrum::config
