#include "config/value_readers.hpp"

#include <charconv>
#include <cmath>

#include "config/ascii_case.hpp"
#include "config/byte_size.hpp"
#include "config/did_you_mean.hpp"
#include "config/duration.hpp"

namespace fulcrum::config {
namespace {

// The scalar text, or nothing after reporting that a single value was expected.
const std::string* scalar(const Field& field, Diagnostics& diagnostics, std::string_view expected) {
  if (field.is_null()) {
    diagnostics.error(field.mark(), field.name + " needs a value (" + std::string(expected) + ")");
    return nullptr;
  }
  if (!field.value.IsScalar()) {
    diagnostics.error(field.mark(),
                      field.name + ": expected " + std::string(expected) + ", got " + describe(field.value));
    return nullptr;
  }
  return &field.value.Scalar();
}

std::string range_text(uint64_t min, uint64_t max) { return std::to_string(min) + ".." + std::to_string(max); }

}  // namespace

std::optional<std::string> read_string(const Field& field, Diagnostics& diagnostics) {
  const std::string* text = scalar(field, diagnostics, "a string");
  if (text == nullptr) return std::nullopt;
  return *text;
}

std::optional<uint64_t> read_uint(const Field& field, Diagnostics& diagnostics, uint64_t min, uint64_t max) {
  const std::string* text = scalar(field, diagnostics, "a number " + range_text(min, max));
  if (text == nullptr) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  bool negative = !text->empty() && text->front() == '-';
  if (negative || text->empty() || end != text->data() + text->size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    diagnostics.error(field.mark(), field.name + ": expected a number, got '" + *text + "'");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    diagnostics.error(field.mark(), field.name + ": " + *text + " is out of range (" + range_text(min, max) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> read_uint_or_auto(const Field& field, Diagnostics& diagnostics, uint64_t min, uint64_t max,
                                          uint64_t auto_value) {
  if (field.value.IsScalar()) {
    const std::string& text = field.value.Scalar();
    if (text == "auto") return auto_value;
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
      diagnostics.error(field.mark(),
                        field.name + ": expected 'auto' or a number " + range_text(min, max) + ", got '" + text + "'");
      return std::nullopt;
    }
  }
  return read_uint(field, diagnostics, min, max);
}

std::optional<double> read_number(const Field& field, Diagnostics& diagnostics, double min, double max) {
  const std::string* text = scalar(field, diagnostics, "a number");
  if (text == nullptr) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value)) {
    diagnostics.error(field.mark(), field.name + ": expected a number, got '" + *text + "'");
    return std::nullopt;
  }
  if (value < min || value > max) {
    auto format = [](double v) {
      std::string s = std::to_string(v);
      s.erase(s.find_last_not_of('0') + 1);
      if (s.back() == '.') s.pop_back();
      return s;
    };
    diagnostics.error(field.mark(),
                      field.name + ": " + *text + " is out of range (" + format(min) + ".." + format(max) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_bool(const Field& field, Diagnostics& diagnostics) {
  const std::string* text = scalar(field, diagnostics, "true or false");
  if (text == nullptr) return std::nullopt;
  // YAML 1.1 spellings too, since yaml-cpp users write them.
  const std::string word = lower_case(*text);
  if (word == "true" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "no" || word == "off") return false;
  diagnostics.error(field.mark(), field.name + ": expected true or false, got '" + *text + "'");
  return std::nullopt;
}

std::optional<Duration> read_duration(const Field& field, Diagnostics& diagnostics, Duration min, Duration max) {
  const std::string* text = scalar(field, diagnostics, "a duration such as 5s");
  if (text == nullptr) return std::nullopt;
  auto value = parse_duration(*text);
  if (!value) {
    diagnostics.error(field.mark(), field.name + ": bad duration '" + *text +
                                        "': expected a number with a unit ms, s, m, h or d (e.g. 500ms, 5s, "
                                        "1m, 1h, 7d)");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    diagnostics.error(field.mark(), field.name + ": " + *text + " is out of range (" + format_duration(min) + ".." +
                                        format_duration(max) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<uint64_t> read_byte_size(const Field& field, Diagnostics& diagnostics, uint64_t min, uint64_t max) {
  const std::string* text = scalar(field, diagnostics, "a size in bytes");
  if (text == nullptr) return std::nullopt;
  auto value = parse_byte_size(*text);
  if (!value) {
    diagnostics.error(field.mark(), field.name + ": bad size '" + *text +
                                        "': expected a number of bytes, optionally with KiB, MiB or GiB");
    return std::nullopt;
  }
  if (*value < min || *value > max) {
    diagnostics.error(field.mark(),
                      field.name + ": " + *text + " is out of range (" + range_text(min, max) + " bytes)");
    return std::nullopt;
  }
  return value;
}

std::optional<uint16_t> read_port(const Field& field, Diagnostics& diagnostics) {
  auto value = read_uint(field, diagnostics, 1, 65535);
  if (!value) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

std::optional<std::vector<Field>> read_list(const Field& field, Diagnostics& diagnostics) {
  std::vector<Field> items;
  if (field.is_null()) return items;
  if (!field.value.IsSequence()) {
    diagnostics.error(field.mark(), field.name + ": expected a list, got " + describe(field.value));
    return std::nullopt;
  }
  std::size_t index = 0;
  for (const auto& item : field.value) {
    items.push_back(Field{field.name + "[" + std::to_string(index++) + "]", YAML::Node(), item});
  }
  return items;
}

std::optional<std::vector<TextItem>> read_string_list(const Field& field, Diagnostics& diagnostics) {
  std::vector<TextItem> items;
  if (field.value.IsScalar()) {
    items.push_back(TextItem{field.value.Scalar(), field.value.Mark()});
    return items;
  }
  if (field.is_null() || !field.value.IsSequence()) {
    diagnostics.error(field.mark(),
                      field.name + ": expected a string or a list of strings, got " + describe(field.value));
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& item : field.value) {
    if (!item.IsScalar()) {
      diagnostics.error(item.Mark(), field.name + ": expected a string in the list, got " + describe(item));
      ok = false;
      continue;
    }
    items.push_back(TextItem{item.Scalar(), item.Mark()});
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::vector<TextPair>> read_string_map(const Field& field, Diagnostics& diagnostics,
                                                     bool case_insensitive_keys) {
  std::vector<TextPair> pairs;
  if (field.is_null() || !field.value.IsMap()) {
    diagnostics.error(field.mark(), field.name + ": expected a map of NAME: VALUE, got " + describe(field.value));
    return std::nullopt;
  }
  bool ok = true;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    // Copies, not references: the iterator's operator-> yields a temporary (yaml-cpp's proxy).
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      diagnostics.error(key.Mark(), field.name + ": expected a name, got " + describe(key));
      ok = false;
      continue;
    }
    if (!value.IsScalar()) {
      // An empty value is more likely a forgotten value than a wish to match "".
      YAML::Mark mark = value.IsNull() ? key.Mark() : value.Mark();
      diagnostics.error(mark, field.name + ": '" + key.Scalar() + "' needs a string value, got " + describe(value));
      ok = false;
      continue;
    }
    bool duplicate = false;
    for (const auto& earlier : pairs) {
      bool same = case_insensitive_keys ? lower_case(earlier.key) == lower_case(key.Scalar()) : earlier.key == key.Scalar();
      if (same) {
        diagnostics.error(key.Mark(), field.name + ": '" + key.Scalar() + "' is given twice (first at line " +
                                          std::to_string(earlier.key_mark.line + 1) + ")");
        duplicate = true;
        ok = false;
        break;
      }
    }
    if (!duplicate) pairs.push_back(TextPair{key.Scalar(), value.Scalar(), key.Mark(), value.Mark()});
  }
  if (!ok) return std::nullopt;
  return pairs;
}

std::optional<std::size_t> read_choice(const Field& field, Diagnostics& diagnostics,
                                       std::span<const std::string_view> names, std::string_view what) {
  std::string allowed;
  for (auto name : names) {
    if (!allowed.empty()) allowed += " | ";
    allowed += name;
  }
  const std::string* text = scalar(field, diagnostics, "one of " + allowed);
  if (text == nullptr) return std::nullopt;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *text) return i;
  }
  std::string message = "unknown " + (what.empty() ? field.name : std::string(what)) + " '" + *text + "'";
  if (auto suggestion = closest_match(*text, names)) message += "; did you mean '" + *suggestion + "'?";
  message += " (expected " + allowed + ")";
  diagnostics.error(field.mark(), message);
  return std::nullopt;
}

std::optional<std::string> read_name(const Field& field, Diagnostics& diagnostics) {
  auto text = read_string(field, diagnostics);
  if (!text) return std::nullopt;
  bool valid = !text->empty() && text->size() <= 64;
  for (char c : *text) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-');
  }
  if (!valid) {
    diagnostics.error(field.mark(),
                      field.name + ": '" + *text + "' is not a valid name: use 1..64 letters, digits, '.', '_' or '-'");
    return std::nullopt;
  }
  return text;
}

std::optional<core::Endpoint> read_endpoint(const Field& field, Diagnostics& diagnostics, std::string* text_out,
                                           bool allow_port_zero) {
  auto text = read_string(field, diagnostics);
  if (!text) return std::nullopt;
  if (text_out != nullptr) *text_out = *text;
  core::EndpointError error;
  auto endpoint = core::parse_endpoint(*text, error, allow_port_zero);
  if (!endpoint) {
    diagnostics.error(field.mark(), field.name + ": " + error.message);
    return std::nullopt;
  }
  return endpoint;
}

}  // namespace fulcrum::config
