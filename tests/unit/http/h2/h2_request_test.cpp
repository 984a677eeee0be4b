// H2Request: the checks and the HTTP/1.1 form, field by field.
#include "http/h2/h2_request.hpp"

#include <gtest/gtest.h>

namespace fulcrum::http {
namespace h2_request_test {

H2Request request(std::initializer_list<std::pair<std::string_view, std::string_view>> fields, bool end_stream = true) {
  H2Request r;
  for (const auto& [name, value] : fields) r.add(name, value);
  r.end_stream = end_stream;
  return r;
}

TEST(H2Request, HostComesFromTheHostFieldWhenAuthorityIsAbsent) {
  const H2Request r = request({{":method", "GET"}, {":scheme", "http"}, {":path", "/x"}, {"host", "a.test:8080"}});
  EXPECT_FALSE(h2_request_problem(r));
  std::string head;
  write_http1_head(r, head);
  EXPECT_EQ(head, "GET /x HTTP/1.1\r\nhost: a.test:8080\r\n\r\n");
}

TEST(H2Request, ProblemsAreNamed) {
  EXPECT_EQ(h2_request_problem(request({{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", ""}})),
            "empty :path");
  EXPECT_EQ(h2_request_problem(request({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", ""}})),
            "neither :authority nor Host");
  EXPECT_EQ(h2_request_problem(request({{":method", "CONNECT"}, {":authority", "a:443"}})), "CONNECT is not proxied");
  EXPECT_EQ(h2_request_problem(
                request({{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"}, {"host", "b"}})),
            "Host differs from :authority");
}

// Checked again after nghttp2: whatever the request line and field lines of the HTTP/1.1 form
// could not carry as is.
TEST(H2Request, WhatHttp11CannotCarryIsAProblem) {
  const auto head = [](std::string_view method, std::string_view scheme, std::string_view path,
                       std::string_view authority = "a.test") {
    return request({{":method", method}, {":scheme", scheme}, {":authority", authority}, {":path", path}});
  };
  EXPECT_FALSE(h2_request_problem(head("GET", "https", "/a?b=c")));
  EXPECT_FALSE(h2_request_problem(head("OPTIONS", "https", "*")));
  EXPECT_EQ(h2_request_problem(head("GET", "https", "*")), "* as :path of another method than OPTIONS");
  EXPECT_EQ(h2_request_problem(head("GET", "ftp", "/")), "scheme other than http or https");
  EXPECT_EQ(h2_request_problem(head("GET", "https", "a")), "malformed :path");
  EXPECT_EQ(h2_request_problem(head("GET", "https", "/a b")), "malformed :path");
  EXPECT_EQ(h2_request_problem(head("GET", "https", "/a\r\n")), "malformed :path");
  EXPECT_EQ(h2_request_problem(head("G T", "https", "/")), "malformed :method");
  EXPECT_EQ(h2_request_problem(head("GET", "https", "/", "a/b")), "malformed authority");
  EXPECT_EQ(h2_request_problem(head("GET", "https", "/", "a b")), "malformed authority");
  const auto with_field = [](std::string_view name, std::string_view value) {
    return request({{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"}, {name, value}});
  };
  EXPECT_FALSE(h2_request_problem(with_field("te", "Trailers")));
  EXPECT_EQ(h2_request_problem(with_field("te", "gzip")), "te other than trailers");
  EXPECT_EQ(h2_request_problem(with_field("transfer-encoding", "chunked")), "connection-specific field");
  EXPECT_EQ(h2_request_problem(with_field("connection", "close")), "connection-specific field");
  EXPECT_EQ(h2_request_problem(with_field("X-Up", "1")), "malformed field name");
  EXPECT_EQ(h2_request_problem(with_field("x a", "1")), "malformed field name");
  EXPECT_EQ(h2_request_problem(with_field("x", "1\r\nx: 2")), "control byte in a field value");
  EXPECT_EQ(h2_request_problem(with_field("x", std::string_view("1\0", 2))), "control byte in a field value");
  EXPECT_EQ(h2_request_problem(with_field("content-length", "+5")), "malformed content-length");
  EXPECT_EQ(h2_request_problem(request({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "a"},
                                        {"host", "a"}})),
            "Host repeated");
}

TEST(H2Request, BodyFramingFollowsContentLengthAndEndStream) {
  const H2Request no_body = request({{":method", "POST"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"}});
  EXPECT_FALSE(h2_body_is_chunked(no_body));
  const H2Request unknown =
      request({{":method", "POST"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"}}, false);
  EXPECT_TRUE(h2_body_is_chunked(unknown));
  const H2Request known = request(
      {{":method", "POST"}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"}, {"content-length", "3"}}, false);
  EXPECT_FALSE(h2_body_is_chunked(known));
  std::string head;
  write_http1_head(known, head);
  EXPECT_EQ(head, "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n");
  // Field bytes count as SETTINGS_MAX_HEADER_LIST_SIZE does: name + value + 32 each.
  EXPECT_EQ(known.field_bytes, (7 + 4) + (7 + 5) + (10 + 1) + (5 + 1) + (14 + 1) + 5 * 32u);
}

}  // namespace h2_request_test
}  // namespace fulcrum::http
