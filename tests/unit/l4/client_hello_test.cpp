#include "l4/client_hello.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fulcrum::l4 {
namespace client_hello_test {

// A ClientHello body built by hand (what a TLS 1.3 client sends, minus most extensions).
std::string hello_body(const std::string& server_name, size_t padding = 0) {
  std::string body;
  body += "\x03\x03";                 // legacy_version
  body += std::string(32, 'r');       // random
  body += '\x20' + std::string(32, 's');  // session id
  body += std::string("\x00\x04\x13\x01\x13\x02", 6);  // two suites
  body += std::string("\x01\x00", 2);                  // null compression
  std::string extensions;
  if (!server_name.empty()) {
    std::string list;
    list += '\x00';
    list += static_cast<char>(server_name.size() >> 8);
    list += static_cast<char>(server_name.size() & 0xff);
    list += server_name;
    std::string ext;
    ext += static_cast<char>(list.size() >> 8);
    ext += static_cast<char>(list.size() & 0xff);
    ext += list;
    extensions += std::string("\x00\x00", 2);
    extensions += static_cast<char>(ext.size() >> 8);
    extensions += static_cast<char>(ext.size() & 0xff);
    extensions += ext;
  }
  if (padding > 0) {  // the padding extension (21) makes a large hello
    extensions += std::string("\x00\x15", 2);
    extensions += static_cast<char>(padding >> 8);
    extensions += static_cast<char>(padding & 0xff);
    extensions += std::string(padding, '\0');
  }
  body += static_cast<char>(extensions.size() >> 8);
  body += static_cast<char>(extensions.size() & 0xff);
  body += extensions;
  return body;
}

std::string handshake(const std::string& body) {
  std::string message;
  message += '\x01';
  message += static_cast<char>(body.size() >> 16);
  message += static_cast<char>((body.size() >> 8) & 0xff);
  message += static_cast<char>(body.size() & 0xff);
  return message + body;
}

// The handshake message in records of at most `fragment` bytes.
std::string records(const std::string& message, size_t fragment = 16384) {
  std::string out;
  for (size_t at = 0; at < message.size(); at += fragment) {
    const std::string piece = message.substr(at, fragment);
    out += std::string("\x16\x03\x01", 3);
    out += static_cast<char>(piece.size() >> 8);
    out += static_cast<char>(piece.size() & 0xff);
    out += piece;
  }
  return out;
}

HelloParse parse(const std::string& data, ClientHelloFacts& facts, const char*& reason) {
  return parse_client_hello(data, facts, reason);
}

TEST(ClientHello, ReadsTheServerNameInLowerCase) {
  const std::string wire = records(handshake(hello_body("WWW.Example.com.")));
  ClientHelloFacts facts;
  const char* reason = "";
  ASSERT_EQ(parse(wire, facts, reason), HelloParse::done) << reason;
  EXPECT_EQ(facts.server_name_view(), "www.example.com");
  EXPECT_EQ(facts.consumed, wire.size());
  EXPECT_EQ(facts.legacy_version, 0x0303);
}

TEST(ClientHello, EveryPrefixAsksForMoreWhetherSplitInSegmentsOrRecords) {
  for (size_t fragment : {16384u, 100u, 7u, 1u}) {
    SCOPED_TRACE(fragment);
    const std::string wire = records(handshake(hello_body("api.example.com", 600)), fragment);
    for (size_t cut = 0; cut < wire.size(); cut += (fragment == 1 ? 97 : 1)) {
      ClientHelloFacts facts;
      const char* reason = "";
      ASSERT_EQ(parse(wire.substr(0, cut), facts, reason), HelloParse::need_more) << cut << ": " << reason;
    }
    ClientHelloFacts facts;
    const char* reason = "";
    ASSERT_EQ(parse(wire, facts, reason), HelloParse::done) << reason;
    EXPECT_EQ(facts.server_name_view(), "api.example.com");
  }
}

TEST(ClientHello, NoServerNameIsNotAnError) {
  ClientHelloFacts facts;
  const char* reason = "";
  ASSERT_EQ(parse(records(handshake(hello_body(""))), facts, reason), HelloParse::done) << reason;
  EXPECT_EQ(facts.server_name_length, 0u);
}

TEST(ClientHello, GarbageIsRefusedAtTheFirstTellingByte) {
  struct Case {
    std::string data;
    std::string reason;
  };
  std::string truncated_body = handshake(hello_body("a.test"));
  truncated_body[3] = static_cast<char>(truncated_body[3] - 10);  // declares less than the body holds
  std::string server_hello = handshake(hello_body("a.test"));
  server_hello[0] = '\x02';
  std::string bad_name = records(handshake(hello_body(std::string("a\x01.test"))));
  for (const Case& c : {Case{"G", "not a TLS handshake"}, Case{"GET / HTTP/1.1\r\n\r\n", "not a TLS handshake"},
                        Case{std::string("\x16\x02", 2), "not a TLS handshake"},
                        Case{std::string("\x17\x03\x03\x00\x05hello", 10), "not a TLS handshake"},
                        Case{std::string("\x80\x2e\x01", 3), "not a TLS handshake"},  // SSLv2 hello
                        Case{records(server_hello), "first handshake message is not a ClientHello"},
                        Case{records(truncated_body), "malformed ClientHello extensions"},
                        Case{bad_name, "server name with a control, space or non-ASCII byte"}}) {
    ClientHelloFacts facts;
    const char* reason = "";
    EXPECT_EQ(parse(c.data, facts, reason), HelloParse::error) << c.reason;
    EXPECT_EQ(std::string(reason), c.reason);
  }
}

TEST(ClientHello, TooLargeIsRefused) {
  ClientHelloFacts facts;
  const char* reason = "";
  const std::string wire = records(handshake(hello_body("a.test", 20000)));
  EXPECT_EQ(parse(wire.substr(0, 100), facts, reason), HelloParse::error);
  EXPECT_EQ(std::string(reason), "ClientHello larger than 16 KiB");
}

TEST(SniMatches, ExactWildcardAndAny) {
  EXPECT_TRUE(sni_matches("api.example.com", "api.example.com"));
  EXPECT_TRUE(sni_matches("API.example.com", "api.example.com"));
  EXPECT_FALSE(sni_matches("api.example.com", "www.example.com"));
  EXPECT_TRUE(sni_matches("*.example.com", "www.example.com"));
  EXPECT_TRUE(sni_matches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(sni_matches("*.example.com", "example.com"));
  EXPECT_FALSE(sni_matches("*.example.com", "badexample.com"));
  EXPECT_TRUE(sni_matches("*", "anything.test"));
  EXPECT_TRUE(sni_matches("*", ""));
  EXPECT_FALSE(sni_matches("a.test", ""));
}

}  // namespace client_hello_test
}  // namespace fulcrum::l4
