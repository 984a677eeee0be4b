#pragma once
// The `dns:` section: the authoritative responder for global (multi-site) balancing. Sites name
// target groups, regions map client networks to sites by distance, names choose sites by policy.
#include <vector>

#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "config/map_fields.hpp"

namespace fulcrum::config {

// `config` already holds the listeners and target groups (for references and address clashes);
// `listen_marks` are where each listener's address is written.
DnsConfig read_dns(const Field& field, const Config& config, const std::vector<YAML::Mark>& listen_marks,
                   Diagnostics& diagnostics);

// A DNS name as configured: lower case, without the trailing dot, labels of 1..63 letters,
// digits, '-' or '_' and 253 characters at most. Nothing when it is not one.
std::optional<std::string> normalize_dns_name(std::string_view text);

}  // namespace fulcrum::config
