#pragma once
// The access-log line in the NCSA combined format (what nginx and Apache write by default, and
// what GoAccess, AWStats and most log pipelines read), followed by the fields a load balancer
// adds as key=value pairs:
//
//   127.0.0.1 - - [24/Nov/2026:01:55:53 +0000] "GET /a?b=1 HTTP/1.1" 200 1234 "-" "curl/7.88.1"
//     host="example.com" in=78 rt=0.003 ct=0.001 fb=0.002 group="app" target="10.0.0.5:8080"
//     attempts=1 rule="api" desync=compliant rid="..."          (one line; wrapped here)
//
// A retried request adds tried="10.0.0.4:8080 10.0.0.5:8080" after attempts=2.
//
// Strings are quoted; quotes, backslashes and bytes outside printable ASCII are written as \"
// \\ and \xHH (as nginx does), so a hostile header cannot forge a line or a field.
#include <cstdint>
#include <string>
#include <string_view>

namespace fulcrum::http {

struct CombinedLogFields {
  std::string_view client;
  std::string_view method;
  std::string_view path;
  std::string_view version;  // "HTTP/1.1"; empty when the request line was never understood
  uint16_t status = 0;
  uint64_t bytes_out = 0;
  std::string_view referer;
  std::string_view user_agent;
  std::string_view host;
  uint64_t bytes_in = 0;
  int64_t duration_us = 0;
  int64_t connect_us = -1;     // -1: no connection was made
  int64_t first_byte_us = -1;  // -1: no response byte arrived
  std::string_view group;
  std::string_view target;
  uint32_t attempts = 0;       // targets tried (retries included); 0: none
  std::string_view tried;      // every target tried, space-separated, when more than one
  std::string_view rule;
  std::string_view desync_tier;
  std::string_view request_id;
};

// Replaces `out` with the line (no newline); `unix_seconds` is the request's time.
void format_combined_line(std::string& out, const CombinedLogFields& fields, int64_t unix_seconds);

}  // namespace fulcrum::http
