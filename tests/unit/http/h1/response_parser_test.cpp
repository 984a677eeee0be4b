#include "http/h1/response_parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "http_test_support.hpp"

namespace fulcrum::http {
namespace response_parser_test {

using testing::parse_response;
using testing::ParsedResponse;

TEST(ResponseParser, ParsesStatusLineAndFields) {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=b\r\n\r\nhello";
  ParsedResponse r;
  parse_response(bytes, r);
  ASSERT_TRUE(r.result.complete()) << to_string(r.result.reason);
  EXPECT_EQ(r.result.head_size, bytes.size() - 5);
  EXPECT_EQ(r.head.version, "HTTP/1.1");
  EXPECT_EQ(r.head.status, 200);
  EXPECT_EQ(r.head.reason, "OK");
  ASSERT_EQ(r.head.header_count, 3u);
  EXPECT_EQ(r.head.headers()[2].id, HeaderId::set_cookie);
  EXPECT_EQ(r.head.framing, BodyFraming::content_length);
  EXPECT_EQ(r.head.content_length, 5u);
  EXPECT_TRUE(r.head.keep_alive);
}

TEST(ResponseParser, ReasonPhraseMayBeEmptyOrMissing) {
  ParsedResponse empty;
  parse_response("HTTP/1.1 204 \r\n\r\n", empty);
  ASSERT_TRUE(empty.result.complete());
  EXPECT_EQ(empty.head.reason, "");
  ParsedResponse missing;
  parse_response("HTTP/1.1 204\r\n\r\n", missing);
  ASSERT_TRUE(missing.result.complete());
  ParsedResponse long_reason;
  parse_response("HTTP/1.1 404 Not \t Found \xc3\xa9\r\nContent-Length: 0\r\n\r\n", long_reason);
  ASSERT_TRUE(long_reason.result.complete());
  EXPECT_EQ(long_reason.head.reason, "Not \t Found \xc3\xa9");
}

struct FramingCase {
  const char* response;
  Method method;
  BodyFraming framing;
  bool keep_alive;
};

TEST(ResponseParser, FramingFollowsRfc9112Section6_3) {
  const FramingCase cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", Method::get, BodyFraming::content_length, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", Method::head, BodyFraming::none, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::get, BodyFraming::chunked, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Method::head, BodyFraming::none, true},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", Method::get, BodyFraming::until_close, false},
      {"HTTP/1.1 200 OK\r\n\r\n", Method::get, BodyFraming::until_close, false},
      {"HTTP/1.1 204 No Content\r\n\r\n", Method::get, BodyFraming::none, true},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", Method::get, BodyFraming::none, true},
      {"HTTP/1.1 100 Continue\r\n\r\n", Method::post, BodyFraming::none, true},
      {"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", Method::get, BodyFraming::none, true},
      {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", Method::get,
       BodyFraming::none, false},
      {"HTTP/1.1 200 Connection Established\r\n\r\n", Method::connect, BodyFraming::none, false},
      {"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 3\r\n\r\n", Method::connect, BodyFraming::content_length, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n", Method::get, BodyFraming::content_length,
       false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", Method::get, BodyFraming::content_length, false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n", Method::get,
       BodyFraming::content_length, true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", Method::get, BodyFraming::content_length,
       true},
  };
  for (const auto& c : cases) {
    ParsedResponse r;
    parse_response(c.response, r, c.method);
    ASSERT_TRUE(r.result.complete()) << c.response << " " << to_string(r.result.reason);
    EXPECT_EQ(r.head.framing, c.framing) << c.response;
    EXPECT_EQ(r.head.keep_alive, c.keep_alive) << c.response;
  }
  ParsedResponse upgrade;
  parse_response("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", upgrade);
  EXPECT_TRUE(upgrade.head.upgrade);
  EXPECT_FALSE(upgrade.head.interim());
  ParsedResponse tunnel;
  parse_response("HTTP/1.1 200 OK\r\n\r\n", tunnel, Method::connect);
  EXPECT_TRUE(tunnel.head.tunnel);
  ParsedResponse interim;
  parse_response("HTTP/1.1 100 Continue\r\n\r\n", interim);
  EXPECT_TRUE(interim.head.interim());
}

TEST(ResponseParser, MalformedResponsesAre502) {
  const std::pair<std::string, DesyncReason> cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", DesyncReason::both_te_cl},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", DesyncReason::multiple_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 3a\r\n\r\n", DesyncReason::bad_content_length},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
       DesyncReason::multiple_transfer_encoding_chunked},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n", DesyncReason::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", DesyncReason::chunked_with_parameters},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", DesyncReason::undefined_transfer_encoding_semantics},
      {"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", DesyncReason::obs_fold},
      {"HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", DesyncReason::whitespace_before_colon},
      {"HTTP/1.1 200 OK\r\nX(A): 1\r\n\r\n", DesyncReason::non_compliant_header},
      {"HTTP/1.1 200 OK\r\n: 1\r\n\r\n", DesyncReason::empty_header},
      {"HTTP/1.1 200 OK\r\nTransfer_Encoding: chunked\r\n\r\n", DesyncReason::suspicious_header},
      {"HTTP/1.1 200 OK\r\nX-A: \x01\r\n\r\n", DesyncReason::control_character_in_header},
      {"HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", DesyncReason::bad_header},
      {"HTTP/1.1 200 OK\nContent-Length: 0\n\n", DesyncReason::bad_header},
      {"HTTP/2 200 OK\r\n\r\n", DesyncReason::bad_status_line},
      {"HTTP/1.1 600 Weird\r\n\r\n", DesyncReason::bad_status_line},
      {"HTTP/1.1 20 OK\r\n\r\n", DesyncReason::bad_status_line},
      {"HTTP/1.1 200OK\r\n\r\n", DesyncReason::bad_status_line},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", DesyncReason::bad_status_line},
      {"ICY 200 OK\r\n\r\n", DesyncReason::bad_status_line},
  };
  for (const auto& [bytes, reason] : cases) {
    ParsedResponse r;
    parse_response(bytes, r);
    ASSERT_TRUE(r.result.error()) << bytes;
    EXPECT_EQ(r.result.error_status, 502) << bytes;
    EXPECT_EQ(r.result.reason, reason) << bytes << " got " << to_string(r.result.reason);
  }
}

TEST(ResponseParser, LimitsAre502) {
  ParserLimits limits;
  limits.max_header_bytes = 256;
  limits.max_headers = 2;
  ParsedResponse big;
  parse_response("HTTP/1.1 200 OK\r\nX: " + std::string(300, 'x') + "\r\n\r\n", big, Method::get, limits);
  ASSERT_TRUE(big.result.error());
  EXPECT_EQ(big.result.error_status, 502);
  ParsedResponse many;
  parse_response("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", many, Method::get, limits);
  ASSERT_TRUE(many.result.error());
  EXPECT_EQ(many.result.reason, DesyncReason::too_many_headers);
}

TEST(ResponseParser, SameResultAtEverySplitOffset) {
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nServer: test\r\nTransfer-Encoding: chunked\r\nCache-Control: no-store\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n";
  ParsedResponse whole;
  parse_response(bytes, whole);
  ASSERT_TRUE(whole.result.complete());
  for (size_t split = 0; split <= bytes.size(); ++split) {
    std::array<Header, 16> storage{};
    ResponseHead head(storage);
    ResponseParser parser;
    ParseResult r = parser.parse(std::string_view(bytes).substr(0, split), head, Method::get);
    if (r.need_more()) r = parser.parse(bytes, head, Method::get);
    ASSERT_TRUE(r.complete()) << split;
    EXPECT_EQ(r.head_size, whole.result.head_size);
    EXPECT_EQ(head.framing, BodyFraming::chunked);
  }
}

TEST(ResponseParser, InterimResponsesThenFinalInOneBuffer) {
  const std::string bytes =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  std::string_view rest = bytes;
  std::array<Header, 8> storage{};
  ResponseParser parser;
  std::vector<uint16_t> statuses;
  while (true) {
    ResponseHead head(storage);
    const ParseResult r = parser.parse(rest, head, Method::post);
    ASSERT_TRUE(r.complete());
    statuses.push_back(head.status);
    rest.remove_prefix(r.head_size);
    if (!head.interim()) break;
  }
  EXPECT_EQ(statuses, (std::vector<uint16_t>{100, 103, 201}));
  EXPECT_EQ(rest, "ok");
}

}  // namespace response_parser_test
}  // namespace fulcrum::http
