#pragma once
// Binary payloads written in YAML strings (a UDP health check's datagram and expected reply):
// C-style escapes \xHH, \0, \n, \r, \t, \\ and \" turn into bytes; anything else is taken as
// written. A protocol probe (a DNS query, a game server's ping) is mostly bytes no YAML
// string can hold otherwise.
#include <optional>
#include <string>
#include <string_view>

namespace fulcrum::config {

// The bytes, or nullopt with `error` set (an unknown escape, \x without two hex digits).
std::optional<std::string> unescape_bytes(std::string_view text, std::string& error);

}  // namespace fulcrum::config
