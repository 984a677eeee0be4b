#pragma once
// The answers Fulcrum writes itself (errors, fixed responses, redirects): a complete HTTP/1.1
// message with a short plain-text body naming the status, so a person reading curl's output
// knows who answered and why.
#include <cstdint>
#include <string_view>

#include "http/h1/head_writer.hpp"

namespace fulcrum::http {

std::string_view reason_phrase(uint16_t status);

// "HTTP/1.1 502 Bad Gateway" + Content-Type/Length + Connection (+ extra header lines, each
// ending in CRLF) + body (default: "502 Bad Gateway\n"). HEAD requests get no body.
void write_canned_response(HeadWriter& out, uint16_t status, bool close, std::string_view extra_headers = {},
                           std::string_view content_type = "text/plain; charset=utf-8",
                           std::string_view body = {}, bool head_request = false, bool use_default_body = true);

}  // namespace fulcrum::http
