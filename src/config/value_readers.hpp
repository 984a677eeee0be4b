#pragma once
// Typed reads of one value, each reporting what it expected and what it got. They return
// nothing after reporting, so the caller keeps its default and carries on to the next key.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/enum_names.hpp"
#include "config/map_fields.hpp"

namespace fulcrum::config {

std::optional<std::string> read_string(const Field& field, Diagnostics& diagnostics);
std::optional<uint64_t> read_uint(const Field& field, Diagnostics& diagnostics, uint64_t min, uint64_t max);
// `auto` (read as `auto_value`) or a number in min..max ("workers: auto", "keepalive_connections: auto").
std::optional<uint64_t> read_uint_or_auto(const Field& field, Diagnostics& diagnostics, uint64_t min, uint64_t max,
                                          uint64_t auto_value);
std::optional<double> read_number(const Field& field, Diagnostics& diagnostics, double min, double max);
std::optional<bool> read_bool(const Field& field, Diagnostics& diagnostics);
std::optional<Duration> read_duration(const Field& field, Diagnostics& diagnostics, Duration min, Duration max);
std::optional<uint64_t> read_byte_size(const Field& field, Diagnostics& diagnostics, uint64_t min, uint64_t max);
std::optional<uint16_t> read_port(const Field& field, Diagnostics& diagnostics);

// Checks for a list and returns its items as Fields labelled "NAME[i]"; a null value is an
// empty list. Reports "expected a list" otherwise.
std::optional<std::vector<Field>> read_list(const Field& field, Diagnostics& diagnostics);

struct TextItem {
  std::string text;
  YAML::Mark mark;
};
// A scalar or a list of scalars ("host: a.com" or "host: [a.com, b.com]").
std::optional<std::vector<TextItem>> read_string_list(const Field& field, Diagnostics& diagnostics);

struct TextPair {
  std::string key;
  std::string value;
  YAML::Mark key_mark;
  YAML::Mark value_mark;
};
// A map of scalar to scalar ("header: { X-Canary: '1' }"); duplicate keys are reported, ignoring
// case when `case_insensitive_keys` (header names).
std::optional<std::vector<TextPair>> read_string_map(const Field& field, Diagnostics& diagnostics,
                                                     bool case_insensitive_keys);

// Index into `names` of the spelling written, or nothing after reporting the allowed ones.
// `what` names the setting in the message ("stickiness type"); the key's name by default.
std::optional<std::size_t> read_choice(const Field& field, Diagnostics& diagnostics,
                                       std::span<const std::string_view> names, std::string_view what = {});

template <typename E, std::size_t N>
std::optional<E> read_enum(const Field& field, Diagnostics& diagnostics, const EnumName<E> (&table)[N],
                           std::string_view what = {}) {
  std::string_view spellings[N];
  for (std::size_t i = 0; i < N; ++i) spellings[i] = table[i].name;
  auto index = read_choice(field, diagnostics, spellings, what);
  if (!index) return std::nullopt;
  return table[*index].value;
}

// Reads a key into `out` when present and valid; leaves the default otherwise.
template <typename T, typename Reader>
void read_into(const MapFields& map, std::string_view key, T& out, Reader&& reader) {
  if (const Field* field = map.get(key)) {
    if (auto value = reader(*field)) out = static_cast<T>(*value);
  }
}

// Names of listeners, target groups and rules end up in URLs of the admin API and in metric
// labels, so they are restricted to letters, digits, '.', '_' and '-' (1..64 characters).
std::optional<std::string> read_name(const Field& field, Diagnostics& diagnostics);

// Reads HOST:PORT with core::parse_endpoint and reports its message at the value.
// allow_port_zero: "any free port" (admin.listen, for tests and several instances on one host).
std::optional<core::Endpoint> read_endpoint(const Field& field, Diagnostics& diagnostics, std::string* text_out,
                                           bool allow_port_zero = false);

}  // namespace fulcrum::config
