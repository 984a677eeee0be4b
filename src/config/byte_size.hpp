#pragma once
// Sizes in bytes: a plain number ("65536") or with a binary unit ("64KiB", "10MiB", "1GiB").
#include <cstdint>
#include <optional>
#include <string_view>

namespace fulcrum::config {

std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace fulcrum::config
