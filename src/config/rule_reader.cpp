#include "config/rule_reader.hpp"

#include <array>

#include "config/cidr.hpp"
#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

std::string describe_listener(const ListenerContext& listener) {
  return "listener '" + listener.name + "' is " + to_string(listener.protocol);
}

// RFC 9110 tchar: what header names and methods are made of.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// "example.com", "*.example.com" or "*": a wildcard only as the whole first label, which is
// what ALB, nginx server_name and TLS certificates agree on.
bool is_host_pattern(std::string_view text) {
  if (text == "*") return true;
  if (text.starts_with("*.")) text.remove_prefix(2);
  if (text.empty() || text.front() == '.' || text.back() == '.' || text.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> texts(const std::vector<TextItem>& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& item : items) out.push_back(item.text);
  return out;
}

std::map<std::string, std::string> to_map(const std::vector<TextPair>& pairs) {
  std::map<std::string, std::string> out;
  for (const auto& pair : pairs) out.emplace(pair.key, pair.value);
  return out;
}

Match read_match(const Field& field, const ListenerContext& listener, Diagnostics& diagnostics) {
  Match match;
  MapFields map(field, schema::kMatch, diagnostics);
  for (const Field& condition : map.fields()) {
    const std::string& key = condition.name;
    if (key == "sni") {
      if (listener.protocol != ListenerProtocol::tls) {
        diagnostics.error(condition.key_mark(), "'sni' matches only on tls (passthrough) listeners; " +
                                                    describe_listener(listener) +
                                                    (is_http(listener.protocol) ? " (use 'host')" : ""));
        continue;
      }
    } else if (key != "source" && !is_http(listener.protocol)) {
      diagnostics.error(condition.key_mark(),
                        "'" + key + "' conditions need an http or https listener; " + describe_listener(listener));
      continue;
    }
    if (key == "host" || key == "sni") {
      if (auto items = read_string_list(condition, diagnostics)) {
        for (const auto& item : *items) {
          if (!is_host_pattern(item.text)) {
            diagnostics.error(item.mark, key + ": '" + item.text + "' is not a host name or a *.example.com pattern");
          }
        }
        (key == "host" ? match.host : match.sni) = texts(*items);
      }
    } else if (key == "path") {
      if (auto items = read_string_list(condition, diagnostics)) {
        for (const auto& item : *items) {
          if (!item.text.starts_with('/') && item.text != "*") {
            diagnostics.error(item.mark, "path: '" + item.text + "' must start with '/'");
          }
        }
        match.path = texts(*items);
      }
    } else if (key == "method") {
      if (auto items = read_string_list(condition, diagnostics)) {
        for (const auto& item : *items) {
          std::string upper = item.text;
          for (auto& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
          if (!is_token(item.text)) {
            diagnostics.error(item.mark, "method: '" + item.text + "' is not an HTTP method name");
          } else if (upper != item.text) {
            // Methods are case-sensitive (RFC 9110 9.1): "get" would never match a GET request.
            diagnostics.error(item.mark, "method: '" + item.text +
                                             "' never matches because methods are "
                                             "case-sensitive; did you mean '" +
                                             upper + "'?");
          }
        }
        match.method = texts(*items);
      }
    } else if (key == "header") {
      if (auto pairs = read_string_map(condition, diagnostics, true)) {
        for (const auto& pair : *pairs) {
          if (!is_token(pair.key)) {
            diagnostics.error(pair.key_mark, "header: '" + pair.key + "' is not a valid header name");
          }
        }
        match.header = to_map(*pairs);
      }
    } else if (key == "query" || key == "cookie") {
      if (auto pairs = read_string_map(condition, diagnostics, false)) {
        (key == "query" ? match.query : match.cookie) = to_map(*pairs);
      }
    } else if (key == "source") {
      if (auto items = read_string_list(condition, diagnostics)) {
        for (const auto& item : *items) {
          std::string error;
          if (!parse_cidr(item.text, error)) diagnostics.error(item.mark, "source: " + error);
        }
        match.source = texts(*items);
      }
    }
  }
  return match;
}

void add_forward_entry(const Field& item, std::vector<WeightedGroup>& groups, std::vector<YAML::Mark>& marks,
                       const ListenerContext& listener, Diagnostics& diagnostics) {
  WeightedGroup entry;
  YAML::Mark mark;
  if (item.value.IsScalar()) {
    Field named{"forward", item.key, item.value};
    auto name = read_name(named, diagnostics);
    if (!name) return;
    entry.group = *name;
    mark = item.value.Mark();
  } else {
    MapFields map(item, schema::kForwardEntry, diagnostics);
    if (!map.is_map()) return;
    const Field* group = map.get("group");
    if (group == nullptr) {
      diagnostics.error(map.mark(), "forward entry needs a 'group' (the target group's name)");
      return;
    }
    auto name = read_name(*group, diagnostics);
    read_into(map, "weight", entry.weight, [&](const Field& f) { return read_uint(f, diagnostics, 0, 1000); });
    if (!name) return;
    entry.group = *name;
    mark = group->mark();
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].group == entry.group) {
      diagnostics.error(mark, "forward: target group '" + entry.group + "' is listed twice (first at line " +
                                  std::to_string(marks[i].line + 1) + ")");
      return;
    }
  }
  groups.push_back(entry);
  marks.push_back(mark);
  if (listener.references != nullptr) listener.references->push_back(GroupReference{entry.group, mark, listener.name, listener.protocol});
}

std::vector<WeightedGroup> read_forward(const Field& field, const ListenerContext& listener, Diagnostics& diagnostics) {
  std::vector<WeightedGroup> groups;
  std::vector<YAML::Mark> marks;
  if (field.is_null()) {
    diagnostics.error(field.mark(), "forward needs a target group name or a list of { group, weight }");
  } else if (field.value.IsSequence()) {
    if (field.value.size() == 0) {
      diagnostics.error(field.mark(), "forward: the list is empty; name at least one target group");
    }
    auto items = read_list(field, diagnostics);
    for (const auto& item : items.value_or(std::vector<Field>{})) {
      add_forward_entry(item, groups, marks, listener, diagnostics);
    }
    bool any_weight = false;
    for (const auto& group : groups) any_weight = any_weight || group.weight > 0;
    if (!groups.empty() && !any_weight) {
      diagnostics.error(field.mark(), "forward: every weight is 0, so no target group would get traffic");
    }
  } else {
    // A single name or a single { group, weight } map.
    add_forward_entry(field, groups, marks, listener, diagnostics);
  }
  return groups;
}

// "#{host}" and friends: the parts of the request a redirect may reuse.
void check_placeholders(const Field& field, const std::string& text, Diagnostics& diagnostics) {
  constexpr std::array<std::string_view, 5> kPlaceholders{"scheme", "host", "port", "path", "query"};
  std::size_t at = 0;
  while ((at = text.find("#{", at)) != std::string::npos) {
    auto close = text.find('}', at);
    if (close == std::string::npos) {
      diagnostics.error(field.mark(), field.name + ": '#{' is not closed in '" + text + "'");
      return;
    }
    std::string_view name(text.data() + at + 2, close - at - 2);
    bool known = false;
    for (auto placeholder : kPlaceholders) known = known || placeholder == name;
    if (!known) {
      diagnostics.error(field.mark(), field.name + ": unknown placeholder '#{" + std::string(name) +
                                          "}'; expected #{scheme}, #{host}, #{port}, #{path} or #{query}");
    }
    at = close + 1;
  }
}

Redirect read_redirect(const Field& field, Diagnostics& diagnostics) {
  Redirect redirect;
  MapFields map(field, schema::kRedirect, diagnostics);
  if (!map.is_map()) return redirect;
  if (const Field* status = map.get("status")) {
    if (auto value = read_uint(*status, diagnostics, 0, 999)) {
      if (*value == 301 || *value == 302 || *value == 303 || *value == 307 || *value == 308) {
        redirect.status = static_cast<uint32_t>(*value);
      } else {
        diagnostics.error(status->mark(), "status: " + std::to_string(*value) +
                                              " is not a redirect status (expected 301, 302, 303, 307 or 308)");
      }
    }
  }
  constexpr std::string_view kSchemes[] = {"http", "https"};
  read_into(map, "scheme", redirect.scheme, [&](const Field& f) -> std::optional<std::string> {
    auto index = read_choice(f, diagnostics, kSchemes);
    if (!index) return std::nullopt;
    return std::string(kSchemes[*index]);
  });
  for (auto [key, out] :
       {std::pair{"host", &redirect.host}, std::pair{"path", &redirect.path}, std::pair{"query", &redirect.query}}) {
    if (const Field* part = map.get(key)) {
      if (auto text = read_string(*part, diagnostics)) {
        check_placeholders(*part, *text, diagnostics);
        *out = *text;
      }
    }
  }
  if (!redirect.path.empty() && !redirect.path.starts_with('/') && !redirect.path.starts_with("#{path}")) {
    diagnostics.error(map.get("path")->mark(), "path: '" + redirect.path + "' must start with '/' or #{path}");
  }
  if (const Field* port = map.get("port")) {
    if (port->value.IsScalar() && port->value.Scalar().find("#{") != std::string::npos) {
      check_placeholders(*port, port->value.Scalar(), diagnostics);
      redirect.port = port->value.Scalar();
    } else if (auto number = read_port(*port, diagnostics)) {
      redirect.port = std::to_string(*number);
    }
  }
  bool changes_something = !redirect.scheme.empty() || !redirect.host.empty() || !redirect.port.empty() ||
                           !redirect.path.empty() || !redirect.query.empty();
  if (!changes_something && map.fields().size() == (map.has("status") ? 1u : 0u)) {
    diagnostics.error(map.mark(),
                      "redirect: set at least one of scheme, host, port, path or query; "
                      "a redirect to the same URL would loop");
  }
  return redirect;
}

FixedResponse read_fixed_response(const Field& field, Diagnostics& diagnostics) {
  FixedResponse response;
  MapFields map(field, schema::kFixedResponse, diagnostics);
  read_into(map, "status", response.status, [&](const Field& f) { return read_uint(f, diagnostics, 100, 599); });
  read_into(map, "content_type", response.content_type, [&](const Field& f) { return read_string(f, diagnostics); });
  read_into(map, "body", response.body, [&](const Field& f) { return read_string(f, diagnostics); });
  return response;
}

// Exactly one of forward, redirect, fixed_response; `owner` names the rule for messages.
Action read_action(const MapFields& map, const std::string& owner, const ListenerContext& listener,
                   Diagnostics& diagnostics) {
  Action action;
  const Field* chosen = nullptr;
  for (const Field& field : map.fields()) {
    const bool is_action = field.name == "forward" || field.name == "redirect" || field.name == "fixed_response";
    if (!is_action) continue;
    if (chosen != nullptr) {
      diagnostics.error(field.key_mark(), owner + " has both '" + chosen->name + "' and '" + field.name +
                                              "'; give exactly one action (forward, redirect or fixed_response)");
      continue;
    }
    chosen = &field;
    if (field.name != "forward" && !is_http(listener.protocol)) {
      diagnostics.error(field.key_mark(), "'" + field.name + "' needs an http or https listener; " +
                                              describe_listener(listener) + " (use forward)");
      continue;
    }
    if (field.name == "forward") {
      action.kind = Action::Kind::forward;
      action.forward = read_forward(field, listener, diagnostics);
    } else if (field.name == "redirect") {
      action.kind = Action::Kind::redirect;
      action.redirect = read_redirect(field, diagnostics);
    } else {
      action.kind = Action::Kind::fixed_response;
      action.fixed_response = read_fixed_response(field, diagnostics);
    }
  }
  if (chosen == nullptr && map.is_map()) {
    diagnostics.error(map.mark(), owner + " needs an action: forward, redirect or fixed_response");
  }
  return action;
}

}  // namespace

Rule read_rule(const Field& item, std::size_t index, const ListenerContext& listener, Diagnostics& diagnostics) {
  Rule rule;
  rule.name = "#" + std::to_string(index + 1);
  MapFields map(item, schema::kRule, diagnostics);
  if (!map.is_map()) return rule;
  read_into(map, "name", rule.name, [&](const Field& f) { return read_name(f, diagnostics); });
  if (const Field* match = map.get("match")) rule.match = read_match(*match, listener, diagnostics);
  rule.action = read_action(map, "rule '" + rule.name + "'", listener, diagnostics);
  return rule;
}

Action read_default_action(const Field& field, const ListenerContext& listener, Diagnostics& diagnostics) {
  MapFields map(field, schema::kDefaultAction, diagnostics);
  return read_action(map, "the default action of listener '" + listener.name + "'", listener, diagnostics);
}

}  // namespace fulcrum::config
