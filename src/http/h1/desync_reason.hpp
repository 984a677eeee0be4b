#pragma once
// Why a request (or response) is not plainly compliant, with the tier each reason belongs to.
// Names follow AWS http_desync_guardian where the meaning is the same, so access logs read
// alike; reasons of our own are marked. The tier of a reason is fixed (tier_of) so that the
// parser, the classifier and the access log can never disagree about it.
#include <cstdint>
#include <string_view>

namespace fulcrum::http {

enum class DesyncTier : uint8_t { compliant, acceptable, ambiguous, severe };

enum class DesyncReason : uint8_t {
  compliant,

  // acceptable: not RFC compliant, no known desync risk
  non_compliant_header,          // field name with obs-text, separators or inner whitespace
  non_compliant_version,         // HTTP/0.9 or HTTP/1.2 .. HTTP/1.9
  get_head_zero_content_length,  // GET/HEAD with Content-Length: 0

  // ambiguous: servers may disagree on the message; forward, then close both connections
  empty_header,                           // empty field name
  suspicious_header,                      // a name that normalises to Transfer-Encoding/Content-Length
  duplicate_content_length,               // several Content-Length with the same value
  undefined_content_length_semantics,     // Content-Length on GET/HEAD (non-zero) or HTTP/0.9
  undefined_transfer_encoding_semantics,  // Transfer-Encoding on GET/HEAD or HTTP/1.0 and older
  chunked_with_parameters,                // ours: "chunked;x" (RFC 9112 §7.1: SHOULD be an error)

  // severe: malformed or crafted; never forwarded in defensive/strictest mode
  bad_header,                          // CR, LF or NUL inside a field line
  control_character_in_header,         // ours: other CTL in a field name or value
  whitespace_before_colon,             // ours: RFC 9112 §5.1 MUST reject
  obs_fold,                            // ours: obsolete line folding / field line starting with SP/HTAB
  missing_colon,                       // field line without ':'
  bad_uri,                             // CR, LF or NUL in the request-target
  control_character_in_uri,            // ours: other CTL (HTAB, DEL, ...) in the request-target
  space_in_uri,                        // ours: extra SP in the request line (ALB: acceptable)
  missing_uri,                         // empty request-target
  bad_method,                          // method is not a token
  bad_version,                         // malformed or unsupported HTTP-version
  bad_request_line,                    // ours: request line not "method SP target SP version CRLF"
  both_te_cl,                          // Transfer-Encoding and Content-Length (ALB: ambiguous)
  multiple_content_length,             // Content-Length values that differ
  bad_content_length,                  // not a decimal number, or overflows
  multiple_transfer_encoding_chunked,  // chunked applied more than once
  bad_transfer_encoding,               // unknown coding or empty list element
  transfer_encoding_not_chunked,       // ours: final coding is not chunked (RFC 9112 §6.3)
  bad_host,                            // ours: missing (HTTP/1.1), repeated or malformed Host
  request_line_too_long,               // ours: over max_request_line (414)
  header_section_too_large,            // ours: over max_header_bytes (431)
  too_many_headers,                    // ours: over max_headers (431)
  bad_chunk_size,                      // ours: chunk-size not 1..16 hex digits
  bad_chunk_extension,                 // ours: malformed chunk-ext
  chunk_extension_too_long,            // ours: chunk-ext over its limit
  bad_chunk_framing,                   // ours: chunk data not followed by CRLF, bare CR/LF
  bad_trailer,                         // ours: malformed or forbidden trailer field
  trailer_section_too_large,           // ours: trailers over their limit

  // responses only (a malformed response becomes a 502 for the client)
  bad_status_line,
};

constexpr DesyncTier tier_of(DesyncReason r) {
  using R = DesyncReason;
  switch (r) {
    case R::compliant:
      return DesyncTier::compliant;
    case R::non_compliant_header:
    case R::non_compliant_version:
    case R::get_head_zero_content_length:
      return DesyncTier::acceptable;
    case R::empty_header:
    case R::suspicious_header:
    case R::duplicate_content_length:
    case R::undefined_content_length_semantics:
    case R::undefined_transfer_encoding_semantics:
    case R::chunked_with_parameters:
      return DesyncTier::ambiguous;
    default:
      return DesyncTier::severe;
  }
}

// Severe reasons whose message can still be framed without doubt, so that monitor mode may
// forward it (and close afterwards). Every other severe reason is a parse error: the bytes
// cannot be handed on in any mode.
constexpr bool is_forwardable(DesyncReason r) {
  return tier_of(r) != DesyncTier::severe || r == DesyncReason::both_te_cl;
}

// The status a rejected request is answered with.
constexpr uint16_t status_for(DesyncReason r) {
  switch (r) {
    case DesyncReason::request_line_too_long:
      return 414;
    case DesyncReason::header_section_too_large:
    case DesyncReason::too_many_headers:
    case DesyncReason::trailer_section_too_large:
      return 431;
    default:
      return 400;
  }
}

std::string_view to_string(DesyncTier tier);
std::string_view to_string(DesyncReason reason);

}  // namespace fulcrum::http
