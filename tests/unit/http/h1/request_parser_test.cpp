#include "http/h1/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http_test_support.hpp"

namespace fulcrum::http {
namespace request_parser_test {

using testing::parse_request;
using testing::ParsedRequest;

const std::string kBrowserGet =
    "GET /index.html?q=1 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=abc; theme=dark\r\n"
    "\r\n";

bool inside(std::string_view view, std::string_view buffer) {
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

TEST(RequestParser, ParsesATypicalBrowserRequestAsViewsIntoTheBuffer) {
  ParsedRequest r;
  parse_request(kBrowserGet, r);
  ASSERT_TRUE(r.result.complete()) << to_string(r.result.reason);
  EXPECT_EQ(r.result.head_size, kBrowserGet.size());
  const RequestHead& h = r.head;
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.method_id, Method::get);
  EXPECT_EQ(h.target, "/index.html?q=1");
  EXPECT_EQ(h.version, "HTTP/1.1");
  EXPECT_EQ(h.version_major, 1);
  EXPECT_EQ(h.version_minor, 1);
  ASSERT_EQ(h.header_count, 7u);
  EXPECT_EQ(h.headers()[0].name, "Host");
  EXPECT_EQ(h.headers()[0].value, "www.example.com");
  EXPECT_EQ(h.headers()[0].id, HeaderId::host);
  EXPECT_EQ(h.headers()[6].id, HeaderId::cookie);
  EXPECT_EQ(h.host(), "www.example.com");
  EXPECT_EQ(h.framing, BodyFraming::none);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.upgrade);
  EXPECT_EQ(h.expectation, Expectation::none);
  EXPECT_EQ(h.field_check, FieldCheck::clean);
  EXPECT_TRUE(inside(h.method, kBrowserGet));
  EXPECT_TRUE(inside(h.target, kBrowserGet));
  for (const Header& f : h.headers()) {
    EXPECT_TRUE(inside(f.name, kBrowserGet));
    EXPECT_TRUE(inside(f.value, kBrowserGet));
  }
}

TEST(RequestParser, TrimsOptionalWhitespaceAroundValuesAndKeepsInnerWhitespace) {
  ParsedRequest r;
  parse_request("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t one \t two \t\r\nX-B:\r\nX-C:   \r\nX-D: caf\xc3\xa9\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.headers()[0].value, "a");
  EXPECT_EQ(r.head.headers()[1].value, "one \t two");
  EXPECT_EQ(r.head.headers()[2].value, "");
  EXPECT_EQ(r.head.headers()[3].value, "");
  EXPECT_EQ(r.head.headers()[4].value, "caf\xc3\xa9");  // obs-text is allowed in values
}

TEST(RequestParser, RecognisesMethods) {
  const std::pair<const char*, Method> methods[] = {
      {"GET", Method::get},        {"HEAD", Method::head},       {"POST", Method::post},   {"PUT", Method::put},
      {"DELETE", Method::delete_}, {"OPTIONS", Method::options}, {"TRACE", Method::trace}, {"PATCH", Method::patch},
      {"PROPFIND", Method::other}, {"get", Method::other},  // methods are case-sensitive
  };
  for (const auto& [text, id] : methods) {
    ParsedRequest r;
    parse_request(std::string(text) + " / HTTP/1.1\r\nHost: a\r\n\r\n", r);
    ASSERT_TRUE(r.result.complete()) << text;
    EXPECT_EQ(r.head.method_id, id) << text;
  }
}

TEST(RequestParser, ConnectTakesAnAuthorityTarget) {
  ParsedRequest r;
  parse_request("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_TRUE(r.head.is_connect());
  EXPECT_EQ(r.head.target, "example.com:443");
  EXPECT_EQ(r.head.framing, BodyFraming::none);
}

TEST(RequestParser, IgnoresEmptyLinesBeforeTheRequestLine) {
  const std::string bytes = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  ParsedRequest r;
  parse_request(bytes, r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.result.head_size, bytes.size());
  EXPECT_EQ(r.head.method, "GET");
}

// --- framing

TEST(RequestParser, FramesByContentLength) {
  ParsedRequest r;
  parse_request("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.framing, BodyFraming::content_length);
  EXPECT_EQ(r.head.content_length, 42u);
}

TEST(RequestParser, FramesByChunkedWithOtherCodingsBeforeIt) {
  for (const char* te : {"chunked", "CHUNKED", "gzip, chunked", "deflate,identity , chunked", "x-gzip,chunked"}) {
    ParsedRequest r;
    parse_request(std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ") + te + "\r\n\r\n", r);
    ASSERT_TRUE(r.result.complete()) << te << " " << to_string(r.result.reason);
    EXPECT_EQ(r.head.framing, BodyFraming::chunked) << te;
  }
  ParsedRequest split;  // codings spread over several field lines
  parse_request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", split);
  ASSERT_TRUE(split.result.complete());
  EXPECT_EQ(split.head.framing, BodyFraming::chunked);
}

TEST(RequestParser, RequestsWithoutFramingFieldsHaveNoBody) {
  ParsedRequest r;
  parse_request("POST /f HTTP/1.1\r\nHost: a\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.framing, BodyFraming::none);
}

TEST(RequestParser, TransferEncodingWinsOverContentLengthAndContentLengthMustBeDropped) {
  // Parsed (the classifier calls it severe); the framing a forwarder must use is chunked.
  ParsedRequest r;
  parse_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.framing, BodyFraming::chunked);
  EXPECT_TRUE(r.head.must_drop_content_length());
}

TEST(RequestParser, IdenticalDuplicateContentLengthIsParsedAndFlagged) {
  ParsedRequest r;
  parse_request("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.content_length, 5u);
  EXPECT_TRUE(r.head.has_duplicate_content_length());
}

TEST(RequestParser, RejectsUnframeableBodies) {
  const std::pair<const char*, DesyncReason> cases[] = {
      {"Content-Length: 5\r\nContent-Length: 6", DesyncReason::multiple_content_length},
      {"Content-Length: 5, 5", DesyncReason::bad_content_length},
      {"Content-Length: +5", DesyncReason::bad_content_length},
      {"Content-Length: 0x10", DesyncReason::bad_content_length},
      {"Content-Length:", DesyncReason::bad_content_length},
      {"Content-Length: 18446744073709551616", DesyncReason::bad_content_length},
      {"Transfer-Encoding: gzip", DesyncReason::transfer_encoding_not_chunked},
      {"Transfer-Encoding: chunked, gzip", DesyncReason::transfer_encoding_not_chunked},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", DesyncReason::multiple_transfer_encoding_chunked},
      {"Transfer-Encoding: chunked, chunked", DesyncReason::multiple_transfer_encoding_chunked},
      {"Transfer-Encoding: xchunked", DesyncReason::bad_transfer_encoding},
      {"Transfer-Encoding: chunked,", DesyncReason::bad_transfer_encoding},
      {"Transfer-Encoding: ", DesyncReason::bad_transfer_encoding},
  };
  for (const auto& [fields, reason] : cases) {
    ParsedRequest r;
    parse_request(std::string("POST / HTTP/1.1\r\nHost: a\r\n") + fields + "\r\n\r\n", r);
    ASSERT_TRUE(r.result.error()) << fields;
    EXPECT_EQ(r.result.error_status, 400) << fields;
    EXPECT_EQ(r.result.reason, reason) << fields << " got " << to_string(r.result.reason);
  }
}

TEST(RequestParser, LargestContentLengthIsAccepted) {
  ParsedRequest r;
  parse_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.content_length, UINT64_MAX);
}

// --- connection semantics

struct ConnectionCase {
  const char* version;
  const char* connection;  // nullptr: no Connection field
  bool keep_alive;
};

TEST(RequestParser, KeepAliveFollowsVersionAndConnection) {
  const ConnectionCase cases[] = {
      {"HTTP/1.1", nullptr, true},      {"HTTP/1.1", "close", false},          {"HTTP/1.1", "Close", false},
      {"HTTP/1.1", "keep-alive", true}, {"HTTP/1.1", "upgrade, close", false}, {"HTTP/1.0", nullptr, false},
      {"HTTP/1.0", "keep-alive", true}, {"HTTP/1.0", "Keep-Alive", true},      {"HTTP/1.0", "keep-alive, close", false},
      {"HTTP/0.9", nullptr, false},     {"HTTP/1.2", nullptr, true},  // a later 1.x minor version speaks at least 1.1
  };
  for (const auto& c : cases) {
    std::string req = std::string("GET / ") + c.version + "\r\nHost: a\r\n";
    if (c.connection != nullptr) req += std::string("Connection: ") + c.connection + "\r\n";
    req += "\r\n";
    ParsedRequest r;
    parse_request(req, r);
    ASSERT_TRUE(r.result.complete()) << req;
    EXPECT_EQ(r.head.keep_alive, c.keep_alive) << req;
  }
}

TEST(RequestParser, Http10NeedsNoHost) {
  ParsedRequest r;
  parse_request("GET / HTTP/1.0\r\nUser-Agent: old\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.host_index, -1);
  EXPECT_FALSE(r.head.keep_alive);
}

TEST(RequestParser, UpgradeNeedsBothFieldsAndHttp11) {
  ParsedRequest ws;
  parse_request(
      "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ws);
  ASSERT_TRUE(ws.result.complete());
  EXPECT_TRUE(ws.head.upgrade);

  ParsedRequest no_connection;
  parse_request("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", no_connection);
  ASSERT_TRUE(no_connection.result.complete());
  EXPECT_FALSE(no_connection.head.upgrade);

  ParsedRequest http10;
  parse_request("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", http10);
  ASSERT_TRUE(http10.result.complete());
  EXPECT_FALSE(http10.head.upgrade);
}

TEST(RequestParser, ExpectContinue) {
  ParsedRequest r;
  parse_request("PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\nExpect: 100-Continue\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.expectation, Expectation::continue_100);

  ParsedRequest other;
  parse_request("PUT / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", other);
  ASSERT_TRUE(other.result.complete());
  EXPECT_EQ(other.head.expectation, Expectation::unsupported);

  ParsedRequest http10;  // RFC 9110 §10.1.1: ignored in HTTP/1.0
  parse_request("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", http10);
  ASSERT_TRUE(http10.result.complete());
  EXPECT_EQ(http10.head.expectation, Expectation::none);
}

TEST(RequestParser, HostRules) {
  ParsedRequest missing;
  parse_request("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", missing);
  ASSERT_TRUE(missing.result.error());
  EXPECT_EQ(missing.result.reason, DesyncReason::bad_host);

  ParsedRequest twice;
  parse_request("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", twice);
  ASSERT_TRUE(twice.result.error());
  EXPECT_EQ(twice.result.reason, DesyncReason::bad_host);
  EXPECT_EQ(twice.result.header_index, 0);

  for (const char* bad : {"a b", "a/b", "user@a", "a?b", "a#b"}) {
    ParsedRequest r;
    parse_request(std::string("GET / HTTP/1.1\r\nHost: ") + bad + "\r\n\r\n", r);
    EXPECT_TRUE(r.result.error()) << bad;
  }
  for (const char* good : {"example.com", "example.com:8080", "[::1]:443", "10.0.0.1", ""}) {
    ParsedRequest r;
    parse_request(std::string("GET / HTTP/1.1\r\nHost: ") + good + "\r\n\r\n", r);
    EXPECT_TRUE(r.result.complete()) << good;
  }

  ParserLimits lenient;
  lenient.require_host = false;
  ParsedRequest allowed;
  parse_request("GET / HTTP/1.1\r\n\r\n", allowed, lenient);
  EXPECT_TRUE(allowed.result.complete());
}

// --- versions and request-line errors

TEST(RequestParser, Versions) {
  const std::pair<const char*, uint16_t> cases[] = {
      {"HTTP/1.1", 0},   {"HTTP/1.0", 0},   {"HTTP/0.9", 0},    {"HTTP/1.9", 0}, {"HTTP/2.0", 505},  {"HTTP/3.0", 505},
      {"HTTP/0.8", 400}, {"http/1.1", 400}, {"HTTP/1.10", 400}, {"HTTP/1", 400}, {"HTTP/1.1 ", 400}, {"HTTP/a.b", 400},
  };
  for (const auto& [version, status] : cases) {
    ParsedRequest r;
    parse_request(std::string("GET / ") + version + "\r\nHost: a\r\n\r\n", r);
    if (status == 0) {
      EXPECT_TRUE(r.result.complete()) << version;
    } else {
      ASSERT_TRUE(r.result.error()) << version;
      EXPECT_EQ(r.result.error_status, status) << version;
    }
  }
}

TEST(RequestParser, RejectsMalformedRequestLines) {
  const std::pair<const char*, DesyncReason> cases[] = {
      {"GET /a b HTTP/1.1", DesyncReason::space_in_uri},
      {"GET  / HTTP/1.1", DesyncReason::missing_uri},
      {"GET /\tHTTP/1.1", DesyncReason::control_character_in_uri},
      {"GET /\x01 HTTP/1.1", DesyncReason::control_character_in_uri},
      {"GET /\x7f HTTP/1.1", DesyncReason::control_character_in_uri},
      {"GET /a\rb HTTP/1.1", DesyncReason::bad_uri},
      {"GET /", DesyncReason::bad_version},
      {"GET", DesyncReason::bad_request_line},
      {" GET / HTTP/1.1", DesyncReason::bad_method},
      {"GET\t/ HTTP/1.1", DesyncReason::bad_method},
      {"G\x01T / HTTP/1.1", DesyncReason::bad_method},
      {"GE(T / HTTP/1.1", DesyncReason::bad_method},
      {"GET / HTTP/1.1 extra", DesyncReason::bad_version},
  };
  for (const auto& [line, reason] : cases) {
    ParsedRequest r;
    parse_request(std::string(line) + "\r\nHost: a\r\n\r\n", r);
    ASSERT_TRUE(r.result.error()) << line;
    EXPECT_EQ(r.result.error_status, 400) << line;
    EXPECT_EQ(r.result.reason, reason) << line << " got " << to_string(r.result.reason);
  }
  static const char kNul[] = "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n";
  ParsedRequest nul;
  parse_request(std::string_view(kNul, sizeof(kNul) - 1), nul);
  ASSERT_TRUE(nul.result.error());
  EXPECT_EQ(nul.result.reason, DesyncReason::bad_uri);
}

TEST(RequestParser, TargetsMayHoldAnyVisibleByteAndObsText) {
  ParsedRequest r;
  parse_request("GET /a/\"<>\\^`{|}%20\xd0\xb6?x=[1] HTTP/1.1\r\nHost: a\r\n\r\n", r);
  ASSERT_TRUE(r.result.complete());
  EXPECT_EQ(r.head.target, "/a/\"<>\\^`{|}%20\xd0\xb6?x=[1]");
}

// --- field-line errors

TEST(RequestParser, RejectsMalformedFieldLines) {
  struct Case {
    std::string fields;
    DesyncReason reason;
    int32_t index = 1;  // the offending field line; for a fold, the field being continued
  };
  const Case cases[] = {
      {"X-A: 1\r\n folded", DesyncReason::obs_fold},
      {"X-A: 1\r\n\tfolded", DesyncReason::obs_fold},
      {" X-A: 1", DesyncReason::obs_fold, 0},
      {"X-A : 1", DesyncReason::whitespace_before_colon},
      {"X-A\t: 1", DesyncReason::whitespace_before_colon},
      {"X-A 1", DesyncReason::missing_colon},
      {"X-A: a\rb", DesyncReason::bad_header},
      {"X-A: a\nb", DesyncReason::bad_header},
      {std::string("X-A: a\0b", 8), DesyncReason::bad_header},
      {std::string("X-\0A: b", 7), DesyncReason::bad_header},
      {"X-A: \x01", DesyncReason::control_character_in_header},
      {"X-A: a\x7f", DesyncReason::control_character_in_header},
      {"X-A: a\x1b[31m", DesyncReason::control_character_in_header},
      {"X\x01-A: a", DesyncReason::control_character_in_header},
      {"X\x0b-A: a", DesyncReason::control_character_in_header},
  };
  for (const auto& [fields, reason, index] : cases) {
    ParsedRequest r;
    parse_request("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n\r\n", r);
    ASSERT_TRUE(r.result.error()) << fields;
    EXPECT_EQ(r.result.error_status, 400) << fields;
    EXPECT_EQ(r.result.reason, reason) << fields << " got " << to_string(r.result.reason);
    EXPECT_EQ(r.result.header_index, index) << fields;
  }
  ParsedRequest first;  // whitespace between the request line and the first field
  parse_request("GET / HTTP/1.1\r\n Host: a\r\n\r\n", first);
  ASSERT_TRUE(first.result.error());
  EXPECT_EQ(first.result.reason, DesyncReason::obs_fold);
  EXPECT_EQ(first.result.header_index, -1);
}

TEST(RequestParser, RefusesBareLfLineEndingsWithoutWaitingForMore) {
  ParsedRequest r;
  parse_request("GET / HTTP/1.1\nHost: a\n\n", r);
  ASSERT_TRUE(r.result.error());
  EXPECT_EQ(r.result.reason, DesyncReason::bad_request_line);

  ParsedRequest later;
  parse_request("GET / HTTP/1.1\r\nHost: a\nX: b\r\n", later);  // no end of head yet
  ASSERT_TRUE(later.result.error());
  EXPECT_EQ(later.result.reason, DesyncReason::bad_header);
}

TEST(RequestParser, NonTokenNamesAreParsedForTheClassifier) {
  for (const char* name : {"X-\xc3\xa9", "X(A)", "X A", "Transfer_Encoding", "Content-Length\xc2\xa0"}) {
    const std::string bytes = std::string("GET / HTTP/1.1\r\nHost: a\r\n") + name + ": v\r\n\r\n";
    ParsedRequest r;
    parse_request(bytes, r);  // the head's views point into `bytes`
    ASSERT_TRUE(r.result.complete()) << name;
    EXPECT_EQ(r.head.field_check, FieldCheck::non_compliant) << name;
    EXPECT_EQ(r.head.headers()[1].name, name);
  }
  ParsedRequest empty;
  parse_request("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", empty);
  ASSERT_TRUE(empty.result.complete());
  EXPECT_EQ(empty.head.field_check, FieldCheck::non_compliant);
  EXPECT_EQ(empty.head.headers()[1].name, "");
}

// --- limits

std::string request_with_target_of(size_t target_size) {
  return "GET /" + std::string(target_size - 1, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
}

TEST(RequestParser, RequestLineLimitIs414) {
  const ParserLimits limits;
  const size_t overhead = std::string("GET  HTTP/1.1\r\n").size();
  ParsedRequest at_limit;
  parse_request(request_with_target_of(limits.max_request_line - overhead), at_limit);
  EXPECT_TRUE(at_limit.result.complete());

  ParsedRequest over;
  parse_request(request_with_target_of(limits.max_request_line - overhead + 1), over);
  ASSERT_TRUE(over.result.error());
  EXPECT_EQ(over.result.error_status, 414);
  EXPECT_EQ(over.result.reason, DesyncReason::request_line_too_long);

  // Also before the end of the head arrives: no need to buffer more to know.
  const std::string partial = "GET /" + std::string(limits.max_request_line, 'a');
  ParsedRequest early;
  parse_request(partial, early);
  ASSERT_TRUE(early.result.error());
  EXPECT_EQ(early.result.error_status, 414);
}

TEST(RequestParser, HeaderSectionLimitIs431) {
  const ParserLimits limits;
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (req.size() < limits.max_header_bytes) req += "X-Filler: " + std::string(1000, 'x') + "\r\n";
  ParsedRequest complete;
  parse_request(req + "\r\n", complete);
  ASSERT_TRUE(complete.result.error());
  EXPECT_EQ(complete.result.error_status, 431);

  ParsedRequest partial;  // still no end of head after max_header_bytes
  parse_request(req, partial);
  ASSERT_TRUE(partial.result.error());
  EXPECT_EQ(partial.result.error_status, 431);
  EXPECT_EQ(partial.result.reason, DesyncReason::header_section_too_large);
}

TEST(RequestParser, HeaderCountLimitIs431) {
  ParserLimits limits;
  limits.max_headers = 100;
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 1; i < 100; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
  ParsedRequest hundred;
  parse_request(req + "\r\n", hundred, limits);
  ASSERT_TRUE(hundred.result.complete());
  EXPECT_EQ(hundred.head.header_count, 100u);

  ParsedRequest more;
  parse_request(req + "X-Last: v\r\n\r\n", more, limits);
  ASSERT_TRUE(more.result.error());
  EXPECT_EQ(more.result.error_status, 431);
  EXPECT_EQ(more.result.reason, DesyncReason::too_many_headers);
}

TEST(RequestParser, StorageSmallerThanTheLimitCapsTheCount) {
  std::array<Header, 2> storage{};
  RequestHead head(storage);
  RequestParser parser;
  const auto r = parser.parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", head);
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error_status, 431);
}

TEST(RequestParser, CustomLimits) {
  ParserLimits limits;
  limits.max_request_line = 32;
  limits.max_header_bytes = 128;
  limits.max_headers = 3;
  ParsedRequest r;
  parse_request("GET /0123456789012345678901234 HTTP/1.1\r\nHost: a\r\n\r\n", r, limits);
  EXPECT_EQ(r.result.error_status, 414);
  ParsedRequest big;
  parse_request("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(120, 'x') + "\r\n\r\n", big, limits);
  EXPECT_EQ(big.result.error_status, 431);
}

// --- incremental parsing

// Feeds `bytes` to one parser in two parts split at every offset and byte by byte; each must
// agree with parsing it whole.
void expect_same_result_at_every_split(const std::string& bytes) {
  ParsedRequest whole;
  parse_request(bytes, whole);
  for (size_t split = 0; split <= bytes.size(); ++split) {
    std::array<Header, 128> storage{};
    RequestHead head(storage);
    RequestParser parser;
    ParseResult r = parser.parse(std::string_view(bytes).substr(0, split), head);
    if (r.need_more()) r = parser.parse(bytes, head);
    ASSERT_EQ(r.status, whole.result.status) << "split at " << split;
    ASSERT_EQ(r.head_size, whole.result.head_size) << "split at " << split;
    if (r.complete()) {
      ASSERT_EQ(head.header_count, whole.head.header_count);
      for (uint32_t i = 0; i < head.header_count; ++i) {
        ASSERT_EQ(head.headers()[i].name, whole.head.headers()[i].name);
        ASSERT_EQ(head.headers()[i].value, whole.head.headers()[i].value);
      }
      ASSERT_EQ(head.framing, whole.head.framing);
      ASSERT_EQ(head.content_length, whole.head.content_length);
    }
  }
  // Byte by byte, as a slow client sends it.
  std::array<Header, 128> storage{};
  RequestHead head(storage);
  RequestParser parser;
  ParseResult r;
  size_t fed = 0;
  while (fed < bytes.size()) {
    r = parser.parse(std::string_view(bytes).substr(0, ++fed), head);
    if (!r.need_more()) break;
  }
  EXPECT_EQ(r.status, whole.result.status);
  EXPECT_EQ(r.head_size, whole.result.head_size);
}

TEST(RequestParser, SameResultAtEverySplitOffset) {
  expect_same_result_at_every_split(kBrowserGet);
  expect_same_result_at_every_split(
      "\r\nPOST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  expect_same_result_at_every_split("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  expect_same_result_at_every_split("GET / HTTP/1.1\r\nHost: a\r\nX-Bad : 1\r\n\r\n");
}

TEST(RequestParser, NeedsMoreUntilTheEndOfTheHead) {
  ParsedRequest r;
  parse_request("GET / HTTP/1.1\r\nHost: a\r\n", r);
  EXPECT_TRUE(r.result.need_more());
  parse_request("GET / HTTP/1.1\r\nHost: a\r\n\r", r);
  EXPECT_TRUE(r.result.need_more());
  parse_request("", r);
  EXPECT_TRUE(r.result.need_more());
  parse_request("\r\n", r);
  EXPECT_TRUE(r.result.need_more());
}

// --- pipelining

TEST(RequestParser, PipelinedRequestsInOneBuffer) {
  const std::string bytes =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  std::string_view rest = bytes;
  std::vector<std::string> targets;
  std::array<Header, 16> storage{};
  RequestParser parser;
  while (!rest.empty()) {
    RequestHead head(storage);
    const ParseResult r = parser.parse(rest, head);
    ASSERT_TRUE(r.complete()) << rest;
    targets.emplace_back(head.target);
    rest.remove_prefix(r.head_size);
    if (head.framing == BodyFraming::content_length) {
      ASSERT_EQ(rest.substr(0, head.content_length), "hello");
      rest.remove_prefix(head.content_length);
    }
    if (!head.keep_alive) break;
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3"}));
  EXPECT_TRUE(rest.empty());
}

}  // namespace request_parser_test
}  // namespace fulcrum::http
