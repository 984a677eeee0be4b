#pragma once
// One YAML mapping seen as a section of the configuration: its keys are checked against the
// schema once (unknown keys with a suggestion, duplicate keys), then looked up by name.
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config_schema.hpp"
#include "config/diagnostics.hpp"

namespace fulcrum::config {

// A key and its value; list items are Fields without a key.
struct Field {
  std::string name;  // the key as written, or a label such as "targets[2]" for list items
  YAML::Node key;    // undefined for list items
  YAML::Node value;

  // Where to point at when the value is wrong: the value itself, or the key when the value
  // is empty (yaml-cpp places an empty value at the next token, often on the next line).
  YAML::Mark mark() const;
  YAML::Mark key_mark() const { return key.IsDefined() ? key.Mark() : value.Mark(); }
  bool is_null() const { return !value.IsDefined() || value.IsNull(); }
};

// "'abc'", "a list", "a map" or "nothing": what was found instead of what was expected.
std::string describe(const YAML::Node& node);

class MapFields {
 public:
  // An empty (null) node is an empty section; anything other than a map is reported.
  MapFields(const Field& field, const Section& section, Diagnostics& diagnostics);

  bool is_map() const { return is_map_; }
  const Field* get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  const std::vector<Field>& fields() const { return fields_; }
  // Where the section starts, for errors about keys that are missing.
  YAML::Mark mark() const { return mark_; }

 private:
  std::vector<Field> fields_;
  YAML::Mark mark_;
  bool is_map_ = false;
};

}  // namespace fulcrum::config
