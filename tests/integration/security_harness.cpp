#include "security_harness.hpp"

namespace fulcrum::testing {

std::string http_config(uint16_t port, const std::string& security, const std::string& target, int workers) {
  return "workers: " + std::to_string(workers) + "\nshutdown_timeout: 2s\nlisteners:\n  - name: web\n    listen: 127.0.0.1:" +
         std::to_string(port) + "\n    protocol: http\n    security:\n" + security +
         "    default: { forward: app }\ntarget_groups:\n  - name: app\n    targets:\n      - { address: " + target +
         " }\n";
}

}  // namespace fulcrum::testing
