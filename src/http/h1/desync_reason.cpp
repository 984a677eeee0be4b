#include "http/h1/desync_reason.hpp"

namespace fulcrum::http {

std::string_view to_string(DesyncTier tier) {
  switch (tier) {
    case DesyncTier::compliant:
      return "compliant";
    case DesyncTier::acceptable:
      return "acceptable";
    case DesyncTier::ambiguous:
      return "ambiguous";
    case DesyncTier::severe:
      return "severe";
  }
  return "unknown";
}

std::string_view to_string(DesyncReason reason) {
  using R = DesyncReason;
  switch (reason) {
    case R::compliant:
      return "compliant";
    case R::non_compliant_header:
      return "non_compliant_header";
    case R::non_compliant_version:
      return "non_compliant_version";
    case R::get_head_zero_content_length:
      return "get_head_zero_content_length";
    case R::empty_header:
      return "empty_header";
    case R::suspicious_header:
      return "suspicious_header";
    case R::duplicate_content_length:
      return "duplicate_content_length";
    case R::undefined_content_length_semantics:
      return "undefined_content_length_semantics";
    case R::undefined_transfer_encoding_semantics:
      return "undefined_transfer_encoding_semantics";
    case R::chunked_with_parameters:
      return "chunked_with_parameters";
    case R::bad_header:
      return "bad_header";
    case R::control_character_in_header:
      return "control_character_in_header";
    case R::whitespace_before_colon:
      return "whitespace_before_colon";
    case R::obs_fold:
      return "obs_fold";
    case R::missing_colon:
      return "missing_colon";
    case R::bad_uri:
      return "bad_uri";
    case R::control_character_in_uri:
      return "control_character_in_uri";
    case R::space_in_uri:
      return "space_in_uri";
    case R::missing_uri:
      return "missing_uri";
    case R::bad_method:
      return "bad_method";
    case R::bad_version:
      return "bad_version";
    case R::bad_request_line:
      return "bad_request_line";
    case R::both_te_cl:
      return "both_te_cl";
    case R::multiple_content_length:
      return "multiple_content_length";
    case R::bad_content_length:
      return "bad_content_length";
    case R::multiple_transfer_encoding_chunked:
      return "multiple_transfer_encoding_chunked";
    case R::bad_transfer_encoding:
      return "bad_transfer_encoding";
    case R::transfer_encoding_not_chunked:
      return "transfer_encoding_not_chunked";
    case R::bad_host:
      return "bad_host";
    case R::request_line_too_long:
      return "request_line_too_long";
    case R::header_section_too_large:
      return "header_section_too_large";
    case R::too_many_headers:
      return "too_many_headers";
    case R::bad_chunk_size:
      return "bad_chunk_size";
    case R::bad_chunk_extension:
      return "bad_chunk_extension";
    case R::chunk_extension_too_long:
      return "chunk_extension_too_long";
    case R::bad_chunk_framing:
      return "bad_chunk_framing";
    case R::bad_trailer:
      return "bad_trailer";
    case R::trailer_section_too_large:
      return "trailer_section_too_large";
    case R::bad_status_line:
      return "bad_status_line";
  }
  return "unknown";
}

}  // namespace fulcrum::http
