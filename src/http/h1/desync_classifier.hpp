#pragma once
// Request-smuggling (HTTP desync) defence in the manner of AWS ALB's http_desync_guardian:
// every request gets a tier and a reason, and the listener's desync_mode turns that into an
// action. README.md in this folder lists every reason, its tier, and where we are stricter than
// ALB and why.
//
//   ParseResult r = parser.parse(buf, head);
//   Classification c = r.error() ? classify_parse_error(r) : classify_request(head);
//   switch (desync_action(c, mode)) { forward / forward_then_close / reject with c.status }
//
// | tier       | monitor            | defensive (default) | strictest |
// |------------|--------------------|---------------------|-----------|
// | compliant  | forward            | forward             | forward   |
// | acceptable | forward            | forward             | reject    |
// | ambiguous  | forward, then close| forward, then close | reject    |
// | severe     | forward, then close| reject              | reject    |
//
// "then close": the response is sent with Connection: close and neither the client nor the
// target connection is reused, so bytes a peer reads differently cannot poison a later request.
// Severe reasons that are parse errors (is_forwardable() false: the message has no trustworthy
// boundary) are rejected in every mode, monitor included. Rejected: answer `status`, close.
#include <cstdint>

#include "config/config.hpp"
#include "http/h1/desync_reason.hpp"
#include "http/h1/parse_result.hpp"
#include "http/h1/request_head.hpp"

namespace fulcrum::http {

using config::DesyncMode;

struct Classification {
  DesyncTier tier = DesyncTier::compliant;
  DesyncReason reason = DesyncReason::compliant;
  int32_t header_index = -1;  // the field line the reason is about, -1 for the request line
  uint16_t status = 400;      // answer when the request is rejected
};

// Classifies a head. For heads from RequestParser this reads only what the parser summarised
// (FieldCheck::clean heads cost a few compares); for heads built by hand (FieldCheck::unknown)
// it examines every byte of the method, target, version and fields.
Classification classify_request(const RequestHead& head);

// A head the parser refused: severe, with the parser's reason and status.
Classification classify_parse_error(const ParseResult& result);

enum class DesyncAction : uint8_t { forward, forward_then_close, reject };

DesyncAction desync_action(const Classification& classification, DesyncMode mode);

std::string_view to_string(DesyncAction action);
std::string_view to_string(DesyncMode mode);

}  // namespace fulcrum::http
