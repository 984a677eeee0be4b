#include "config/byte_size.hpp"

#include <array>
#include <charconv>

namespace fulcrum::config {

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  struct Unit {
    std::string_view suffix;
    uint64_t bytes;
  };
  // Binary units only: "KB" is ambiguous (1000 or 1024) and we would rather refuse than guess.
  constexpr std::array<Unit, 4> kUnits{{{"", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}}};
  for (const auto& unit : kUnits) {
    if (suffix == unit.suffix) {
      if (number > UINT64_MAX / unit.bytes) return std::nullopt;
      return number * unit.bytes;
    }
  }
  return std::nullopt;
}

}  // namespace fulcrum::config
