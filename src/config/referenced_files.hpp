#pragma once
// Every file a configuration names besides itself (certificates and keys, CA bundles, the
// stickiness secret, the admin token, the GeoIP database), with where it is named, so that a
// process that switched to an unprivileged user can say, before a reload applies anything,
// which of them it cannot read ("listener 'web': key /etc/ssl/private/web.key").
#include <string>
#include <vector>

#include "config/config.hpp"

namespace fulcrum::config {

struct ReferencedFile {
  std::string where;  // "listener 'web': key", "target group 'api': ca_file", "admin: token_file"
  std::string path;
};

std::vector<ReferencedFile> referenced_files(const Config& config);

}  // namespace fulcrum::config
