#include "config/config_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/did_you_mean.hpp"
#include "config/dns_reader.hpp"
#include "config/listener_reader.hpp"
#include "config/resolver_reader.hpp"
#include "config/target_group_reader.hpp"
#include "config/value_readers.hpp"

namespace fulcrum::config {
namespace {

using namespace std::chrono_literals;

AdminConfig read_admin(const Field& field, Diagnostics& diagnostics) {
  AdminConfig admin;
  MapFields map(field, schema::kAdmin, diagnostics);
  read_into(map, "enabled", admin.enabled, [&](const Field& f) { return read_bool(f, diagnostics); });
  read_into(map, "token_file", admin.token_file, [&](const Field& f) { return read_string(f, diagnostics); });
  const Field* listen = map.get("listen");
  if (listen == nullptr) return admin;
  if (auto endpoint = read_endpoint(*listen, diagnostics, &admin.listen_text, true)) {
    admin.listen = *endpoint;
    if (admin.enabled && !endpoint->is_loopback() && admin.token_file.empty()) {
      diagnostics.error(listen->mark(), "admin.listen " + admin.listen_text +
                                            " is not a loopback address, so the API needs a token: set "
                                            "admin.token_file (or listen on 127.0.0.1)");
    }
  }
  return admin;
}

std::optional<uint32_t> read_workers(const Field& field, Diagnostics& diagnostics) {
  auto value = read_uint_or_auto(field, diagnostics, 1, 256, 0);  // 0: one worker per core
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

// Two listeners cannot bind one address (unless one is UDP and the other TCP).
void check_listen_addresses(const Config& config, const std::vector<YAML::Mark>& marks, Diagnostics& diagnostics) {
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    const auto& listener = config.listeners[i];
    if (listener.listen.length == 0) continue;
    const bool udp = listener.protocol == ListenerProtocol::udp;
    for (std::size_t j = 0; j < i; ++j) {
      const auto& earlier = config.listeners[j];
      if (earlier.listen == listener.listen && (earlier.protocol == ListenerProtocol::udp) == udp) {
        diagnostics.error(marks[i], "listen: " + listener.listen_text + " is already used by listener '" +
                                        earlier.name + "' (line " + std::to_string(marks[j].line + 1) + ")");
        break;
      }
    }
    if (config.admin.enabled && config.admin.listen.length != 0 && !udp && config.admin.listen == listener.listen) {
      diagnostics.error(marks[i], "listen: " + listener.listen_text + " is also admin.listen");
    }
  }
}

// A listener may forward only to groups whose targets speak what it relays: tcp and tls
// (passthrough) listeners relay bytes (to tcp or tls groups), http and https listeners speak
// HTTP (to http or https groups). Saying so beats sending plaintext to a target expecting TLS.
void check_protocols(const GroupReference& reference, const TargetGroupConfig& group, Diagnostics& diagnostics) {
  const bool l4 = reference.protocol == ListenerProtocol::tcp || reference.protocol == ListenerProtocol::tls;
  const bool http = is_http(reference.protocol);
  const std::string who = "listener '" + reference.listener + "' (" + to_string(reference.protocol) +
                          ") forwards to group '" + group.name + "', whose protocol ";
  if (l4 && group.protocol == TargetProtocol::https) {
    diagnostics.error(reference.mark, who + "https is HTTP over TLS: use an https or http listener");
  } else if (http && group.protocol == TargetProtocol::tls) {
    diagnostics.error(reference.mark, who + "tls is TCP over TLS: use protocol https for HTTP over TLS");
  }
}

void check_references(const Config& config, const std::vector<GroupReference>& references, Diagnostics& diagnostics) {
  std::vector<std::string> names;
  for (const auto& group : config.target_groups) names.push_back(group.name);
  for (const auto& reference : references) {
    if (const TargetGroupConfig* group = config.find_group(reference.name)) {
      check_protocols(reference, *group, diagnostics);
      continue;
    }
    std::string message = "forward: no target group named '" + reference.name + "'";
    if (auto suggestion = closest_match(reference.name, names)) {
      message += "; did you mean '" + *suggestion + "'?";
    } else if (names.empty()) {
      message += " (target_groups is empty)";
    }
    diagnostics.error(reference.mark, message);
  }
}

// Where a list entry's `name` or `listen` is written, for errors that point at it later.
YAML::Mark mark_of(const Field& item, const char* key) {
  if (item.value.IsMap()) {
    const YAML::Node& node = item.value;
    if (YAML::Node value = node[key]; value && value.IsScalar()) return value.Mark();
  }
  return item.mark();
}

Config read_config(const YAML::Node& root, Diagnostics& diagnostics) {
  Config config;
  Field top{"configuration", YAML::Node(), root};
  if (root.IsNull() || !root.IsDefined()) {
    diagnostics.error(YAML::Mark(), "the configuration is empty: it needs at least listeners and target_groups");
    return config;
  }
  MapFields map(top, schema::kTop, diagnostics);
  if (!map.is_map()) return config;

  if (const Field* workers = map.get("workers")) {
    if (auto value = read_workers(*workers, diagnostics)) config.workers = *value;
  }
  read_into(map, "shutdown_timeout", config.shutdown_timeout,
            [&](const Field& f) { return read_duration(f, diagnostics, 0s, 3600s); });
  // Whether the user and group exist is checked when Fulcrum starts, as for certificate files:
  // the file is often validated on another machine (CI).
  read_into(map, "user", config.user, [&](const Field& f) { return read_string(f, diagnostics); });
  read_into(map, "group", config.group, [&](const Field& f) { return read_string(f, diagnostics); });
  if (const Field* group = map.get("group"); group != nullptr && config.user.empty()) {
    diagnostics.error(group->key_mark(), "'group' needs 'user': the user to switch to when started as root");
  }
  if (const Field* admin = map.get("admin")) config.admin = read_admin(*admin, diagnostics);
  if (config.admin.listen.length == 0) {
    // The default address (or one that failed to parse, already reported) still needs an endpoint.
    core::EndpointError ignored;
    if (auto endpoint = core::parse_endpoint(config.admin.listen_text, ignored)) config.admin.listen = *endpoint;
  }

  std::vector<GroupReference> references;
  std::vector<YAML::Mark> listen_marks;
  const Field* listeners = map.get("listeners");
  // A configuration with a dns: section and no listeners is a global balancer: it answers for
  // sites served elsewhere, with their groups health-checked.
  const bool dns_only = map.get("dns") != nullptr;
  if (listeners == nullptr) {
    if (!dns_only) {
      diagnostics.error(map.mark(),
                        "the configuration needs listeners: at least one { name, listen, protocol, "
                        "default } (or a dns: section, for a DNS-only global balancer)");
    }
  } else if (auto items = read_list(*listeners, diagnostics)) {
    if (items->empty() && !dns_only) diagnostics.error(listeners->mark(), "listeners: the list is empty");
    std::vector<std::pair<std::string, YAML::Mark>> names_seen;
    for (const auto& item : *items) {
      ListenerConfig listener = read_listener(item, references, diagnostics);
      YAML::Mark name_mark = mark_of(item, "name");
      for (const auto& [earlier, mark] : names_seen) {
        if (!listener.name.empty() && earlier == listener.name) {
          diagnostics.error(name_mark, "duplicate listener name '" + listener.name + "' (first at line " +
                                           std::to_string(mark.line + 1) + ")");
        }
      }
      names_seen.emplace_back(listener.name, name_mark);
      listen_marks.push_back(mark_of(item, "listen"));
      config.listeners.push_back(std::move(listener));
    }
  }

  if (const Field* groups = map.get("target_groups")) {
    if (auto items = read_list(*groups, diagnostics)) {
      std::vector<YAML::Mark> name_marks;
      for (const auto& item : *items) {
        TargetGroupConfig group = read_target_group(item, diagnostics);
        YAML::Mark name_mark = mark_of(item, "name");
        for (std::size_t j = 0; j < config.target_groups.size(); ++j) {
          if (!group.name.empty() && config.target_groups[j].name == group.name) {
            diagnostics.error(name_mark, "duplicate target group name '" + group.name + "' (first at line " +
                                             std::to_string(name_marks[j].line + 1) + ")");
            break;
          }
        }
        name_marks.push_back(name_mark);
        config.target_groups.push_back(std::move(group));
      }
    }
  }

  if (const Field* dns = map.get("dns")) config.dns = read_dns(*dns, config, listen_marks, diagnostics);
  if (const Field* resolver = map.get("resolver")) config.resolver = read_resolver(*resolver, diagnostics);

  check_listen_addresses(config, listen_marks, diagnostics);
  check_references(config, references, diagnostics);
  return config;
}

}  // namespace

LoadResult load_config_text(std::string_view yaml, std::string file_name) {
  Diagnostics diagnostics(file_name);
  LoadResult result;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    // Nothing after a syntax error can be trusted, so this is the only error reported.
    diagnostics.error(error.mark, "YAML syntax error: " + error.msg);
    result.errors = diagnostics.take_sorted();
    return result;
  }
  Config config = read_config(root, diagnostics);
  result.errors = diagnostics.take_sorted();
  if (result.errors.empty()) {
    config.source_path = std::move(file_name);
    result.config = std::move(config);
  }
  return result;
}

LoadResult load_config_file(const std::string& path) {
  LoadResult result;
  auto fail = [&](const std::string& why) {
    result.errors.push_back(ConfigError{path, 1, 1, "cannot read the configuration file: " + why});
    return result;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file) return fail(std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return fail(std::strerror(errno));
  return load_config_text(text.str(), path);
}

}  // namespace fulcrum::config
