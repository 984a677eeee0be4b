#pragma once
// The answer of a head parser: wait for more bytes, a complete head of head_size bytes, or an
// error to answer with error_status (and close: after a malformed head the byte stream has no
// trustworthy message boundary left).
#include <cstdint>

#include "http/h1/desync_reason.hpp"

namespace fulcrum::http {

enum class ParseStatus : uint8_t { need_more, complete, error };

struct ParseResult {
  ParseStatus status = ParseStatus::need_more;
  uint16_t error_status = 0;                      // 400, 414, 431, 505 for requests; 502 for responses
  DesyncReason reason = DesyncReason::compliant;  // why, when status == error (always severe)
  int32_t header_index = -1;                      // offending field line (0-based), -1 for the start line or none
  uint32_t head_size = 0;                         // bytes of the head (leading empty lines included) when complete

  bool complete() const { return status == ParseStatus::complete; }
  bool need_more() const { return status == ParseStatus::need_more; }
  bool error() const { return status == ParseStatus::error; }

  static ParseResult more() { return {}; }
  static ParseResult done(uint32_t size) { return {ParseStatus::complete, 0, DesyncReason::compliant, -1, size}; }
  static ParseResult fail(uint16_t status, DesyncReason reason, int32_t header = -1) {
    return {ParseStatus::error, status, reason, header, 0};
  }
};

}  // namespace fulcrum::http
