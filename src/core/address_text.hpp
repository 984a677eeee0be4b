#pragma once
// The text of a raw IP address (4 or 16 bytes) for request headers and logs. IPv4, the common
// case of every request's X-Forwarded-For, is written digit by digit: inet_ntop goes through
// sprintf, which cost more than the parsing of a whole request head.
#include <arpa/inet.h>

#include <cstdint>
#include <string_view>

namespace fulcrum::core {

// Empty for an unknown family.
std::string_view address_text(int family, const uint8_t* bytes, char (&out)[INET6_ADDRSTRLEN]);

}  // namespace fulcrum::core
