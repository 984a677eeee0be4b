#pragma once
// The effective configuration (every default applied) as JSON for GET /api/v1/config. Values
// that are secrets or name where one is kept (admin.token_file, TLS private keys, the sticky
// cookie's secret_file) are replaced by "<redacted>".
#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace fulcrum::admin {

inline constexpr const char* kRedacted = "<redacted>";

nlohmann::json config_to_json(const config::Config& config);
nlohmann::json action_to_json(const config::Action& action);
nlohmann::json group_settings_to_json(const config::TargetGroupConfig& group);

}  // namespace fulcrum::admin
