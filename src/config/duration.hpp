#pragma once
// Durations as people write them in the configuration: "500ms", "5s", "1m", "1h", "7d",
// or several parts in decreasing order ("1h30m"). A bare "0" is accepted; other bare
// numbers are refused because "30" could mean seconds or milliseconds.
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace fulcrum::config {

std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact spelling that parse_duration reads back ("90s" -> "1m30s", 0 -> "0s").
std::string format_duration(Duration duration);

}  // namespace fulcrum::config
