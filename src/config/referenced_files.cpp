#include "config/referenced_files.hpp"

namespace fulcrum::config {

std::vector<ReferencedFile> referenced_files(const Config& config) {
  std::vector<ReferencedFile> files;
  for (const auto& listener : config.listeners) {
    if (listener.protocol != ListenerProtocol::https) continue;
    for (const auto& certificate : listener.tls.certificates) {
      files.push_back({"listener '" + listener.name + "': cert", certificate.cert});
      files.push_back({"listener '" + listener.name + "': key", certificate.key});
    }
  }
  for (const auto& group : config.target_groups) {
    if (!group.ca_file.empty()) files.push_back({"target group '" + group.name + "': ca_file", group.ca_file});
    if (!group.stickiness.secret_file.empty()) {
      files.push_back({"target group '" + group.name + "': stickiness secret_file", group.stickiness.secret_file});
    }
  }
  if (config.admin.enabled && !config.admin.token_file.empty()) {
    files.push_back({"admin: token_file", config.admin.token_file});
  }
  if (config.dns.enabled && !config.dns.geoip_file.empty()) files.push_back({"dns: geoip_file", config.dns.geoip_file});
  return files;
}

}  // namespace fulcrum::config
