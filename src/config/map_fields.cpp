#include "config/map_fields.hpp"

#include "config/did_you_mean.hpp"

namespace fulcrum::config {
namespace {

std::string join(std::span<const std::string_view> words) {
  std::string text;
  for (auto word : words) {
    if (!text.empty()) text += ", ";
    text += word;
  }
  return text;
}

// The sections (other than `here`) that accept `key`, as paths: a key written one level too
// high or too low is the commonest mistake in indentation-based files.
std::string where_else(std::string_view key, const Section& here) {
  std::string text;
  for (const Section* section : schema::kAll) {
    if (section == &here) continue;
    for (auto candidate : section->keys) {
      if (candidate == key) {
        if (!text.empty()) text += ", ";
        text += section->path;
        break;
      }
    }
  }
  return text;
}

std::string unknown_key_message(std::string_view key, const Section& section) {
  std::string message = "unknown key '" + std::string(key) + "' in " + std::string(section.name);
  auto suggestion = closest_match(key, section.keys);
  std::string elsewhere = where_else(key, section);
  if (suggestion) {
    message += "; did you mean '" + *suggestion + "'?";
  } else if (!elsewhere.empty()) {
    message += "; '" + std::string(key) + "' belongs in " + elsewhere;
    return message;
  } else {
    message += "; expected one of: " + join(section.keys);
    return message;
  }
  // Where the suggested key is valid elsewhere too, say so: it may be the misplaced one.
  std::string suggestion_elsewhere = where_else(*suggestion, section);
  if (!suggestion_elsewhere.empty()) {
    message += " ('" + *suggestion + "' is also a key of " + suggestion_elsewhere + ")";
  }
  return message;
}

}  // namespace

YAML::Mark Field::mark() const {
  if (is_null() && key.IsDefined()) return key.Mark();
  return value.IsDefined() ? value.Mark() : YAML::Mark::null_mark();
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "'" + node.Scalar() + "'";
}

MapFields::MapFields(const Field& field, const Section& section, Diagnostics& diagnostics) : mark_(field.mark()) {
  if (field.is_null()) {
    is_map_ = true;
    return;
  }
  if (!field.value.IsMap()) {
    diagnostics.error(field.mark(), field.name + ": expected a map of keys (" + join(section.keys) + "), got " +
                                        describe(field.value));
    return;
  }
  is_map_ = true;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    // Copies, not references: the iterator's operator-> yields a temporary (yaml-cpp's proxy).
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      diagnostics.error(key.Mark(), "a key in " + std::string(section.name) + " must be a name, got " + describe(key));
      continue;
    }
    const std::string& name = key.Scalar();
    bool known = false;
    for (auto candidate : section.keys) known = known || candidate == name;
    if (!known && name == "<<") {
      diagnostics.error(key.Mark(),
                        "YAML merge keys ('<<') are not supported; repeat the keys, or use an "
                        "alias (*name) for a whole value");
      continue;
    }
    if (!known) {
      diagnostics.error(key.Mark(), unknown_key_message(name, section));
      continue;
    }
    if (const Field* first = get(name)) {
      diagnostics.error(key.Mark(), "duplicate key '" + name + "' in " + std::string(section.name) +
                                        " (first at line " + std::to_string(first->key.Mark().line + 1) + ")");
      continue;
    }
    fields_.push_back(Field{name, key, it->second});
  }
}

const Field* MapFields::get(std::string_view name) const {
  for (const auto& field : fields_) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

}  // namespace fulcrum::config
