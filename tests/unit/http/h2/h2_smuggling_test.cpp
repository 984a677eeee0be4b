// Requests that could change meaning on the way to HTTP/1.1 (RFC 9113 §8.2, §8.3): each is
// refused with RST_STREAM PROTOCOL_ERROR before the owner sees it, the connection serving on.
// Heads are encoded by hand (nghttp2's client would refuse to send most of them); where
// nghttp2 refuses them already, the test proves it; h2_request_problem covers the rest.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <ostream>
#include <string>

#include "h2_wire.hpp"

namespace fulcrum::http {
namespace h2_smuggling_test {

using namespace wire;

struct BadHead {
  const char* name;
  Fields fields;
  friend void PrintTo(const BadHead& c, std::ostream* os) { *os << c.name; }
};

Fields with(Fields fields, const std::string& name, const std::string& value) {
  fields.emplace_back(name, value);
  return fields;
}
Fields replaced(Fields fields, const std::string& name, const std::string& value) {
  for (auto& [n, v] : fields) {
    if (n == name) v = value;
  }
  return fields;
}

class H2Smuggling : public ::testing::TestWithParam<BadHead> {};

TEST_P(H2Smuggling, IsRefusedBeforeTheOwnerSeesIt) {
  Peer peer;
  EXPECT_TRUE(peer.request(1, GetParam().fields));
  EXPECT_EQ(peer.heads.count(1), 0u) << peer.heads[1];
  EXPECT_EQ(peer.reader.rst(1), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  EXPECT_FALSE(peer.reader.goaway());
  EXPECT_TRUE(peer.request(3, get("/next")));
  EXPECT_EQ(peer.heads[3], "GET /next HTTP/1.1\r\nhost: example.com\r\n\r\n");
}

const Fields kGet = get("/");

INSTANTIATE_TEST_SUITE_P(
    Heads, H2Smuggling,
    ::testing::Values(
        BadHead{"TransferEncoding", with(kGet, "transfer-encoding", "chunked")},
        BadHead{"Connection", with(kGet, "connection", "close")},
        BadHead{"KeepAlive", with(kGet, "keep-alive", "timeout=5")},
        BadHead{"ProxyConnection", with(kGet, "proxy-connection", "keep-alive")},
        BadHead{"Upgrade", with(kGet, "upgrade", "h2c")},
        BadHead{"TeOtherThanTrailers", with(kGet, "te", "gzip")},
        BadHead{"CrInValue", with(kGet, "x-a", "1\r\nx-b: 2")},
        BadHead{"LfInValue", with(kGet, "x-a", "1\nx-b: 2")},
        BadHead{"NulInValue", with(kGet, "x-a", std::string("1\0002", 3))},
        BadHead{"CrInName", with(kGet, "x-a\r\nx-b", "2")},
        BadHead{"LfInName", with(kGet, "x-a\nx-b", "2")},
        BadHead{"NulInName", with(kGet, std::string("x-a\0b", 5), "2")},
        BadHead{"ColonInName", with(kGet, "x-a:b", "2")},
        BadHead{"SpaceInName", with(kGet, "x-a b", "2")},
        BadHead{"EmptyName", with(kGet, "", "2")},
        BadHead{"UpperCaseName", with(kGet, "X-Upper", "2")},
        BadHead{"CrLfInPath", replaced(kGet, ":path", "/a HTTP/1.1\r\nx: y")},
        BadHead{"NulInPath", replaced(kGet, ":path", std::string("/a\0", 3))},
        BadHead{"SpaceInPath", replaced(kGet, ":path", "/a b")},
        BadHead{"PathWithoutSlash", replaced(kGet, ":path", "a")},
        BadHead{"AbsolutePath", replaced(kGet, ":path", "http://evil.example/")},
        BadHead{"AsteriskForGet", replaced(kGet, ":path", "*")},
        BadHead{"OtherSchemeWithoutSlash", replaced(replaced(kGet, ":scheme", "foo"), ":path", "a")},
        BadHead{"SpaceInMethod", replaced(kGet, ":method", "GET /admin")},
        BadHead{"CrLfInAuthority", replaced(kGet, ":authority", "a\r\nx: y")},
        BadHead{"SlashInAuthority", replaced(kGet, ":authority", "a/b")},
        BadHead{"NoAuthorityNoHost", Fields{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}}},
        BadHead{"TwoHosts", with(with(Fields{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}}, "host", "a"),
                                 "host", "b")},
        BadHead{"DuplicatePath", with(kGet, ":path", "/other")},
        BadHead{"DuplicateMethod", with(kGet, ":method", "POST")},
        BadHead{"UnknownPseudoHeader", with(kGet, ":foo", "bar")},
        BadHead{"PseudoHeaderAfterRegular", with(with(Fields{{":method", "GET"}, {":scheme", "https"}, {":path", "/"}},
                                                      "x-a", "1"),
                                                 ":authority", "example.com")},
        BadHead{"ContentLengthNotANumber", with(kGet, "content-length", "5, 5")},
        BadHead{"TwoContentLengths", with(with(kGet, "content-length", "0"), "content-length", "0")},
        BadHead{"ContentLengthButEndStream", with(kGet, "content-length", "5")},
        BadHead{"LeadingSpaceInValue", with(kGet, "x-a", " 1")}),
    [](const ::testing::TestParamInfo<BadHead>& info) { return std::string(info.param.name); });

TEST(H2Smuggling, OptionsAsteriskIsServed) {
  Peer peer;
  EXPECT_TRUE(peer.request(1, replaced(replaced(kGet, ":method", "OPTIONS"), ":path", "*")));
  EXPECT_EQ(peer.heads[1], "OPTIONS * HTTP/1.1\r\nhost: example.com\r\n\r\n");
}

// A content-length the DATA frames contradict. The head has gone to the owner by then (it
// comes before the body), so the defence is that no byte past the length is ever passed on,
// the end of the body never is, and the stream is reset: the owner's target connection sees
// an incomplete request and must be closed, never a second request made of the excess.
TEST(H2Smuggling, MoreDataThanTheContentLengthIsNeverPassedOn) {
  Peer peer;
  Fields post = with(replaced(kGet, ":method", "POST"), "content-length", "5");
  EXPECT_TRUE(peer.request(1, post, false));
  EXPECT_TRUE(peer.send(data(1, "12345", false) + data(1, "GET /admin HTTP/1.1\r\nhost: a\r\n\r\n", true)));
  EXPECT_EQ(peer.bodies[1], "12345");
  EXPECT_FALSE(peer.ended[1]);
  EXPECT_EQ(peer.closed[1], static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  EXPECT_EQ(peer.reader.rst(1), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));

  // All of it in one frame: none of it.
  EXPECT_TRUE(peer.request(3, post, false));
  EXPECT_TRUE(peer.send(data(3, "1234567890", true)));
  EXPECT_EQ(peer.bodies[3], "");
  EXPECT_FALSE(peer.ended[3]);
  EXPECT_EQ(peer.reader.rst(3), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  EXPECT_FALSE(peer.reader.goaway());
}

TEST(H2Smuggling, LessDataThanTheContentLengthNeverEnds) {
  Peer peer;
  Fields post = with(replaced(kGet, ":method", "POST"), "content-length", "10");
  EXPECT_TRUE(peer.request(1, post, false));
  EXPECT_TRUE(peer.send(data(1, "12345", true)));
  EXPECT_LE(peer.bodies[1].size(), 5u);
  EXPECT_FALSE(peer.ended[1]);
  EXPECT_EQ(peer.closed[1], static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  EXPECT_EQ(peer.reader.rst(1), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  // Trailers end the stream as well.
  EXPECT_TRUE(peer.request(3, post, false));
  EXPECT_TRUE(peer.send(data(3, "12345", false) + headers(3, peer.encoder.encode({{"x-trailer", "1"}}), true)));
  EXPECT_FALSE(peer.ended[3]);
  EXPECT_EQ(peer.reader.rst(3), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

// HPACK bomb: one big literal goes into the dynamic table, then one-byte references to it
// expand the head far past max_header_list_bytes. The limit counts the decoded fields: a 431
// on that stream, and the connection serves the next one.
TEST(H2HeaderLimits, AnHpackBombIsAnswered431AndTheConnectionServesOn) {
  Peer peer({.max_header_list_bytes = 16 * 1024});
  std::string block = peer.encoder.encode(kGet);
  block += hpack_literal_indexed("x-bomb", std::string(4000, 'b'));  // 4038 bytes in the table
  for (int i = 0; i < 2000; ++i) block += '\xbe';                    // index 62: the newest entry
  ASSERT_LT(block.size(), 16384u);                                    // one HEADERS frame
  EXPECT_TRUE(peer.send(headers(1, block, true)));
  EXPECT_EQ(peer.heads.count(1), 0u);
  EXPECT_EQ(peer.reader.status(1), "431");
  EXPECT_FALSE(peer.reader.goaway());
  EXPECT_TRUE(peer.request(3, get("/next")));
  EXPECT_EQ(peer.heads.count(3), 1u);
}

TEST(H2HeaderLimits, APlainOversizedListIsAnswered431AndTheConnectionServesOn) {
  Peer peer({.max_header_list_bytes = 8 * 1024});
  Fields big = kGet;
  for (int i = 0; i < 20; ++i) big.emplace_back("x-field-" + std::to_string(i), std::string(500, 'v'));
  EXPECT_TRUE(peer.request(1, big));
  EXPECT_EQ(peer.heads.count(1), 0u);
  EXPECT_EQ(peer.reader.status(1), "431");
  EXPECT_TRUE(peer.request(3, get("/next")));
  EXPECT_EQ(peer.heads.count(3), 1u);
}

}  // namespace h2_smuggling_test
}  // namespace fulcrum::http
