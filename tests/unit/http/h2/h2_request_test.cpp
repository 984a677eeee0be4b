// H2Request: the checks and the HTTP/1.1 form, field by field.
#include "http/h2/h2_request.hpp"

#include <gtest/gtest.h>

namespace fulcrum::http {
namespace {

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

}  // namespace
}  // namespace fulcrum::http
