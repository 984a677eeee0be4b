#pragma once
// Helpers for the security integration tests (security_test.cpp, security_load_test.cpp).
#include <cstdint>
#include <string>

namespace fulcrum::testing {

// An http listener "web" on 127.0.0.1:port with `security` (lines indented under `security:`)
// in front of one target group "app" holding `target`.
std::string http_config(uint16_t port, const std::string& security, const std::string& target, int workers = 2);

}  // namespace fulcrum::testing
