#pragma once
// Malformed or ambiguous raw requests that Fulcrum must refuse in desync_mode: defensive (the
// default): each is answered with `status` and the connection closed, and none of its bytes may
// reach a target. Data only, so that the unit test (tests/unit/http/smuggling_test.cpp) and the
// socket-level integration test run the very same table.
//
// `in_body`: the head is well formed and the chunked body that follows is not. A proxy passes
// these only if it validates the body bytes it has already received (ChunkedDecoder::feed) before
// it writes the head to a target; every case here arrives in one write, so it can.
#include <cstdint>
#include <string>
#include <vector>

namespace fulcrum::testing {

struct SmugglingCase {
  std::string name;
  std::string request;  // the exact bytes a client sends
  uint16_t status;      // the answer in defensive mode, before closing
  std::string why;      // what a lenient hop could make of it
  bool in_body = false;
};

inline std::vector<SmugglingCase> smuggling_cases() {
  // Literals holding NUL keep their full length.
  const auto raw = [](const auto& literal) { return std::string(literal, sizeof(literal) - 1); };
  const std::string post = "POST /submit HTTP/1.1\r\nHost: example.com\r\n";
  const std::string get = "GET / HTTP/1.1\r\nHost: example.com\r\n";
  const std::string chunked = post + "Transfer-Encoding: chunked\r\n\r\n";
  const std::string smuggled = "GET /admin HTTP/1.1\r\nHost: example.com\r\n\r\n";
  std::vector<SmugglingCase> c = {
      // --- Content-Length and Transfer-Encoding together or malformed
      {"cl_te", post + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", 400,
       "a CL-only hop forwards 6 bytes, a TE hop stops at 0 and reads X as the next request"},
      {"te_cl", post + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", 400,
       "a CL hop stops after 3 bytes and the rest becomes a request"},
      {"te_cl_zero", post + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400,
       "CL 0 hides the chunked body from CL parsers"},
      {"cl_lowercase_te", post + "content-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "case must not matter for either name"},
      {"cl_te_look_alike", post + "Content-Length: 4\r\nTransfer_Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "hops that map _ to - see chunked, others see only CL"},
      {"cl_cl_differ", post + "Content-Length: 5\r\nContent-Length: 50\r\n\r\nhello", 400,
       "first-wins and last-wins hops disagree on the body length"},
      {"cl_list", post + "Content-Length: 5, 50\r\n\r\nhello", 400, "a list where one number is required"},
      {"cl_list_same", post + "Content-Length: 5, 5\r\n\r\nhello", 400, "a list where one number is required"},
      {"cl_plus", post + "Content-Length: +5\r\n\r\nhello", 400, "strtol accepts a sign, the RFC does not"},
      {"cl_negative", post + "Content-Length: -1\r\n\r\n", 400, "negative lengths wrap in some parsers"},
      {"cl_hex", post + "Content-Length: 0x10\r\n\r\n", 400, "base prefixes are read by some parsers"},
      {"cl_overflow", post + "Content-Length: 18446744073709551617\r\n\r\n", 400, "wraps to 1 in 64 bits"},
      {"cl_empty", post + "Content-Length: \r\n\r\n", 400, "empty read as 0 by some, refused by others"},
      {"cl_inner_space", post + "Content-Length: 1 0\r\n\r\n0123456789", 400, "1 for some parsers, 10 for others"},
      {"cl_nbsp", post + "Content-Length: 5\xc2\xa0\r\n\r\nhello", 400, "trailing non-ASCII space trimmed by some"},
      {"te_unknown", post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400, "substring matchers see chunked"},
      {"te_not_final", post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400,
       "the body length cannot be determined (RFC 9112 6.3)"},
      {"te_gzip_only", post + "Transfer-Encoding: gzip\r\n\r\nabc", 400, "read until close by some, 0 by others"},
      {"te_chunked_twice", post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "chunked applied twice"},
      {"te_chunked_list_twice", post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400,
       "chunked applied twice"},
      {"te_empty_element", post + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", 400,
       "an empty final element: chunked for some, not for others"},
      {"te_vertical_tab",
       post + "Transfer-Encoding: \x0b"
              "chunked\r\n\r\n0\r\n\r\n",
       400, "VT is whitespace to some trimmers"},
      {"te_nul", post + raw("Transfer-Encoding: chunked\0\r\n\r\n0\r\n\r\n"), 400, "C strings end at NUL"},
      {"te_obs_fold", post + "Transfer-Encoding:\r\n chunked\r\nContent-Length: 3\r\n\r\nabc", 400,
       "unfolding hops see chunked, others an empty value"},
      {"te_space_before_colon", post + "Transfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc", 400,
       "RFC 9112 5.1: whitespace before the colon must be rejected"},
      {"cl_space_before_colon", post + "Content-Length : 3\r\n\r\nabc", 400, "RFC 9112 5.1"},
      {"te_tab_before_colon", post + "Transfer-Encoding\t: chunked\r\nContent-Length: 3\r\n\r\nabc", 400,
       "tab before the colon"},
      {"te_leading_space_line",
       "POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: example.com\r\n"
       "Content-Length: 3\r\n\r\nabc",
       400, "whitespace after the request line: a fold for some, a field for others"},
      // --- field-line syntax
      {"bare_cr_in_value", get + "X-A: a\rTransfer-Encoding: chunked\r\n\r\n", 400, "CR ends a line for some"},
      {"bare_lf_in_value", get + "X-A: a\nContent-Length: 10\r\n\r\n", 400, "LF ends a line for most"},
      {"bare_lf_everywhere", "GET / HTTP/1.1\nHost: example.com\nContent-Length: 5\n\nhello", 400, "LF-only framing"},
      {"nul_in_name", get + raw("X-\0A: 1\r\n\r\n"), 400, "C strings end at NUL"},
      {"nul_in_value", get + raw("X-A: 1\0\r\n\r\n"), 400, "C strings end at NUL"},
      {"ctl_in_value",
       get + "X-A: a\x01"
             "b\r\n\r\n",
       400, "control bytes in a field"},
      {"del_in_value", get + "X-A: a\x7f\r\n\r\n", 400, "DEL in a field"},
      {"ctl_in_name", get + "X\x01-A: 1\r\n\r\n", 400, "control bytes in a field name"},
      {"missing_colon", get + "Transfer-Encoding chunked\r\n\r\n", 400, "a field without a colon"},
      {"obs_fold", get + "X-A: 1\r\n \r\nContent-Length: 2\r\n\r\nab", 400, "obsolete line folding"},
      {"two_hosts", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400,
       "routing on one Host, the target sees the other"},
      {"no_host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "RFC 9112 3.2"},
      {"host_with_path", "GET / HTTP/1.1\r\nHost: a.example/evil\r\n\r\n", 400, "not a uri-host"},
      // --- request line
      {"ctl_in_method",
       "G\x01"
       "ET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
       400, "not a token"},
      {"tab_separator", "GET\t/ HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "HTAB as a separator"},
      {"space_in_target", "GET /a " + smuggled, 400, "first-space and last-space splitters disagree"},
      {"double_space", "GET  / HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "an empty target"},
      {"trailing_space", "GET / HTTP/1.1 \r\nHost: example.com\r\n\r\n", 400, "the version ends in a space"},
      {"http09_with_fields", "GET /\r\nHost: example.com\r\n\r\n", 400,
       "HTTP/0.9 has no fields: a 0.9 hop reads them as the next request"},
      {"lowercase_version", "GET / http/1.1\r\nHost: example.com\r\n\r\n", 400, "the version is case-sensitive"},
      {"http2_version", "GET / HTTP/2.0\r\nHost: example.com\r\n\r\n", 505, "not HTTP/1"},
      {"long_version", "GET / HTTP/1.10\r\nHost: example.com\r\n\r\n", 400, "one digit per part"},
      {"nul_in_target", raw("GET /\0 HTTP/1.1\r\nHost: example.com\r\n\r\n"), 400, "NUL"},
      {"cr_in_target", "GET /a\rHTTP/1.1 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "CR in the target"},
      {"lf_in_target", "GET /a\nHost: x HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "LF in the target"},
      {"tab_in_target", "GET /a\tHTTP/1.1 HTTP/1.1\r\nHost: example.com\r\n\r\n", 400, "HTAB in the target"},
      // --- size limits (default limits)
      {"request_line_over_16k", "GET /" + std::string(16 * 1024, 'a') + " HTTP/1.1\r\nHost: example.com\r\n\r\n", 414,
       "max_request_line"},
      {"header_section_over_64k", get + "X-Big: " + std::string(64 * 1024, 'b') + "\r\n\r\n", 431, "max_header_bytes"},
      // --- chunked bodies behind a valid head
      {"chunk_size_not_hex", chunked + "g\r\nabc\r\n0\r\n\r\n", 400, "not a chunk size", true},
      {"chunk_size_0x", chunked + "0x5\r\nhello\r\n0\r\n\r\n", 400, "base prefix", true},
      {"chunk_size_negative", chunked + "-1\r\n\r\n", 400, "sign", true},
      {"chunk_size_overflow", chunked + "10000000000000005\r\nhello\r\n0\r\n\r\n", 400, "wraps to 5 in 64 bits", true},
      {"chunk_size_space", chunked + "5 \r\nhello\r\n0\r\n\r\n", 400, "whitespace after the size", true},
      {"chunk_bare_lf", chunked + "5\nhello\n0\n\n", 400, "LF-only chunk framing", true},
      {"chunk_data_too_long", chunked + "3\r\nhello\r\n0\r\n\r\n", 400, "data does not end where declared", true},
      {"chunk_ext_too_long", chunked + "1;" + std::string(2048, 'e') + "\r\nx\r\n0\r\n\r\n", 400,
       "chunk extensions over the limit", true},
      {"chunk_ext_ctl", chunked + "1;a\x01\r\nx\r\n0\r\n\r\n", 400, "control byte in an extension", true},
      {"trailer_content_length", chunked + "0\r\nContent-Length: 50\r\n\r\n", 400, "framing field in trailers", true},
  };
  // --- over max_headers (100)
  std::string many = get;
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  c.push_back({"over_100_fields", many + "\r\n", 431, "max_headers"});
  return c;
}

}  // namespace fulcrum::testing
