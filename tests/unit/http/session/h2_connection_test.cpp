// H2Connection in memory (h2_connection_fakes.hpp): the client is raw frames on a fake stream,
// targets are scripted fake connections, the worker's loop runs only when the test says. What
// the connection decides: requests reach targets in their HTTP/1.1 form, responses go back as
// HEADERS and DATA, bodies without a length are chunk-framed, flow control bounds what is read
// from a target, GOAWAY lets the stream under way finish, send_timeout ends a client that takes
// nothing, a broken response or a protocol error ends what it must and no more.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "h2_connection_fakes.hpp"

namespace fulcrum::http::testing {
namespace h2_connection_test {

TargetScript answers(std::string response) { return TargetScript{.response = std::move(response)}; }
TargetScript hangs() { return TargetScript{.at_end = FakeStream::AtEnd::hang}; }

// The last stream id a GOAWAY named.
uint32_t goaway_last_stream(const wire::Reader& frames) {
  for (const wire::Frame& f : frames.frames) {
    if (f.type != NGHTTP2_GOAWAY || f.payload.size() < 4) continue;
    uint32_t id = 0;
    for (size_t i = 0; i < 4; ++i) id = (id << 8) | static_cast<uint8_t>(f.payload[i]);
    return id;
  }
  return 0xffffffff;
}

TEST(H2Connection, ARequestReachesTheTargetInItsHttp11Form) {
  H2Rig h2;
  h2.targets.scripts.push_back(answers(kOk));
  h2.open();
  wire::Fields fields = h2c_get("/a/b?c=1");
  fields.insert(fields.end(), {{"accept", "*/*"}, {"cookie", "x=1"}, {"cookie", "y=2"}});
  h2.request(1, fields);
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));

  const std::string& sent = h2.targets.target(0).written;
  EXPECT_TRUE(sent.starts_with("GET /a/b?c=1 HTTP/1.1\r\nhost: example.com\r\n")) << sent;
  EXPECT_NE(sent.find("\r\naccept: */*\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\ncookie: x=1; y=2\r\n"), std::string::npos) << "crumbs joined: " << sent;
  EXPECT_NE(sent.find("\r\nX-Forwarded-For: 192.0.2.7\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("transfer-encoding"), std::string::npos) << "no body, no framing: " << sent;
  EXPECT_TRUE(sent.ends_with("\r\n\r\n")) << sent;
}

TEST(H2Connection, TheResponseGoesBackAsHeadersAndDataEndingTheStream) {
  H2Rig h2;
  h2.targets.scripts.push_back(answers(
      "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Trace: t1\r\nConnection: keep-alive\r\n"
      "Keep-Alive: timeout=5\r\n\r\nhello"));
  h2.open();
  h2.request(1, h2c_get("/"));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));

  EXPECT_EQ(h2.wire.frames.status(1), "201");
  EXPECT_EQ(h2.field(1, "x-trace"), "t1");
  EXPECT_EQ(h2.field(1, "connection"), "");  // connection-specific: never on HTTP/2
  EXPECT_EQ(h2.field(1, "keep-alive"), "");
  EXPECT_EQ(h2.body(1), "hello");
  EXPECT_FALSE(h2.wire.frames.rst(1).has_value());
  EXPECT_FALSE(h2.wire.frames.goaway().has_value());  // the connection serves on
}

TEST(H2Connection, ARequestBodyWithoutALengthIsChunkFramedTowardTheTarget) {
  H2Rig h2;
  h2.targets.scripts.push_back(answers(kOk));
  h2.open();
  h2.request(1, h2c_post("/upload"), false);
  h2.settle();  // the exchange starts before any body: a stream without a length is not held
  ASSERT_TRUE(h2.targets.dialed(0));
  h2.wire.send(wire::data(1, "abc", false));
  h2.settle();
  h2.wire.send(wire::data(1, "defg", true));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));

  const std::string& sent = h2.targets.target(0).written;
  const size_t head_end = sent.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << sent;
  EXPECT_NE(sent.substr(0, head_end).find("\r\ntransfer-encoding: chunked"), std::string::npos) << sent;
  EXPECT_EQ(sent.substr(0, head_end).find("ontent-length"), std::string::npos) << sent;
  EXPECT_EQ(dechunk(sent.substr(head_end + 4)), "abcdefg") << sent;
  EXPECT_EQ(h2.wire.frames.status(1), "200");
}

// The WAF reads a body's start before anything goes to a target, into what is left of the
// exchange's buffer: the reads of a body without a length get down to a few bytes, and the
// chunk framing must still come through them.
TEST(H2Connection, AnUploadWithoutALengthPassesTheWafsBodyInspection) {
  H2Rig h2("    client_header_timeout: 2s\n    security:\n      waf_default_rules: true\n"
           "      waf_body_bytes: 65536\n");
  h2.targets.scripts.push_back(answers(kOk));
  h2.open();
  const std::string body(40 * 1024, 'u');
  h2.request(1, h2c_post("/upload"), false);
  for (size_t at = 0; at < body.size(); at += 16384) {
    h2.wire.send(wire::data(1, body.substr(at, 16384), at + 16384 >= body.size()));
  }
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));
  EXPECT_EQ(h2.wire.frames.status(1), "200");
  ASSERT_TRUE(h2.targets.dialed(0));
  const std::string& sent = h2.targets.target(0).written;
  EXPECT_EQ(dechunk(sent.substr(sent.find("\r\n\r\n") + 4)), body);
}

TEST(H2Connection, ABodyWithALengthIsHeldUntilWholeThenPassedAsIs) {
  H2Rig h2;
  h2.targets.scripts.push_back(answers(kOk));
  h2.open();
  h2.request(1, h2c_post("/form", {{"content-length", "7"}}), false);
  h2.wire.send(wire::data(1, "abc", false));
  h2.settle();
  EXPECT_TRUE(h2.targets.connectors.empty()) << "no exchange before the body agrees with its length";
  h2.wire.send(wire::data(1, "defg", true));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));

  const std::string& sent = h2.targets.target(0).written;
  EXPECT_NE(sent.find("\r\ncontent-length: 7\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("transfer-encoding"), std::string::npos) << sent;
  EXPECT_TRUE(sent.ends_with("\r\n\r\nabcdefg")) << sent;
}

TEST(H2Connection, ABodyShorterThanItsLengthNeverReachesATarget) {
  H2Rig h2;
  h2.open();
  h2.request(1, h2c_post("/form", {{"content-length", "10"}}), false);
  h2.wire.send(wire::data(1, "abc", true));
  ASSERT_TRUE(h2.run_until([&] { return h2.wire.frames.rst(1).has_value(); }));
  h2.settle();

  EXPECT_EQ(h2.wire.frames.rst(1), kProtocolError);
  EXPECT_TRUE(h2.targets.connectors.empty()) << "the stream ended while its body was held";
  EXPECT_FALSE(h2.wire.frames.goaway().has_value());
}

TEST(H2Connection, AClientThatDoesNotOpenItsWindowStopsReadsFromTheTarget) {
  constexpr size_t kBody = 4 * 1024 * 1024;
  H2Rig h2;
  TargetScript big = answers("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n" +
                             std::string(kBody, 'x'));
  h2.targets.scripts.push_back(big);
  h2.open();
  h2.request(1, h2c_get("/big"));
  h2.settle();
  ASSERT_TRUE(h2.targets.dialed(0));

  // The client's windows (65,535 bytes by default) are full, the stream holds its high water,
  // and the target is read no further: what was read is bounded, whatever the body's size (the
  // exchange reads a target into a 16 KiB buffer).
  EXPECT_EQ(h2.body(1).size(), 65535u);
  EXPECT_FALSE(h2.ended_stream(1));
  EXPECT_LE(h2.targets.target(0).consumed(), 65535 + H2StreamSide::kHighWater + 16 * 1024 + 64);

  // The client opens its windows: the rest flows.
  h2.wire.send(wire::window_update(0, 0x7fffffff - 65535) + wire::window_update(1, 0x7fffffff - 65535));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));
  EXPECT_EQ(h2.body(1).size(), kBody);
  EXPECT_EQ(h2.targets.target(0).consumed(), h2.targets.target(0).input.size());
  EXPECT_EQ(h2.targets.connectors[0]->given_back, 1) << "the target connection, read whole, is kept";
}

// The exchange's last write (the response's end) waits while the client's window leaves more
// than kHighWater queued; the stream ends as those bytes go out. The write succeeded: the
// target connection, read to its end, is kept.
TEST(H2Connection, AResponseWhoseEndWaitsForTheClientsWindowKeepsItsTargetConnection) {
  // 65,535 bytes go out at once; the rest (more than kHighWater) waits for the client's window.
  constexpr size_t kBody = 65535 + H2StreamSide::kHighWater + 8 * 1024;
  H2Rig h2;
  h2.targets.scripts.push_back(answers("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kBody) + "\r\n\r\n" +
                                       std::string(kBody, 'x')));
  h2.open();
  h2.request(1, h2c_get("/end"));
  h2.settle();
  ASSERT_EQ(h2.targets.target(0).consumed(), h2.targets.target(0).input.size()) << "the target was read whole";
  ASSERT_FALSE(h2.ended_stream(1));

  h2.wire.send(wire::window_update(0, 1 << 20) + wire::window_update(1, 1 << 20));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));
  h2.settle();
  EXPECT_EQ(h2.body(1).size(), kBody);
  EXPECT_EQ(h2.targets.connectors[0]->given_back, 1) << "the target connection was dropped";
}

// A reload (shut_down_all) and draining (the worker's tick) each send one GOAWAY, however
// often they come; the stream under way finishes, a later one is not served, then the
// connection ends.
TEST(H2Connection, GoawayOnReloadOrDrainingLetsTheStreamUnderWayFinish) {
  for (const bool draining : {false, true}) {
    SCOPED_TRACE(draining ? "draining" : "reload");
    H2Rig h2;
    h2.targets.scripts.push_back(hangs());
    h2.open();
    h2.request(1, h2c_get("/slow"));
    h2.settle();
    ASSERT_TRUE(h2.targets.dialed(0));

    for (int i = 0; i < 2; ++i) {
      if (draining) H2Connection::tick_all(h2.http(), core::now_ms(), true);
      else H2Connection::shut_down_all(h2.http());
    }
    h2.settle();
    EXPECT_EQ(h2.wire.frames.count(NGHTTP2_GOAWAY), 1u);
    EXPECT_EQ(h2.wire.frames.goaway(), kNoError);
    EXPECT_EQ(goaway_last_stream(h2.wire.frames), 1u);
    EXPECT_FALSE(h2.ended());
    h2.request(3, h2c_get("/late"));  // after the GOAWAY: not served here
    h2.settle();
    EXPECT_EQ(h2.targets.connectors.size(), 1u);

    h2.targets.target(0).feed(kOk, FakeStream::AtEnd::eof);
    ASSERT_TRUE(h2.run_until([&] { return h2.ended(); }));
    EXPECT_EQ(h2.wire.frames.status(1), "200");
    EXPECT_EQ(h2.body(1), "ok");
    EXPECT_TRUE(h2.ended_stream(1));
    EXPECT_TRUE(h2.wire.closed);
  }
}

TEST(H2Connection, SendTimeoutEndsAConnectionWhoseClientTakesNoBytes) {
  // client_header_timeout far off: only send_timeout can end this connection.
  H2Rig h2("    send_timeout: 200ms\n    client_header_timeout: 60s\n");
  h2.targets.scripts.push_back(answers(kOk));
  h2.wire.stall_writes = true;
  const auto started = std::chrono::steady_clock::now();
  h2.open(wire::headers(1, h2.wire.encoder.encode(h2c_get("/")), true));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended(); }));

  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(150));
  EXPECT_TRUE(h2.wire.closed);
  EXPECT_EQ(h2.wire.written, 0u);
  EXPECT_NE(h2.targets.target(0).written.find("GET / HTTP/1.1"), std::string::npos)
      << "the request was served; its answer could not be sent";
}

TEST(H2Connection, AConnectionWithoutARequestGetsGoawayAtClientHeaderTimeout) {
  H2Rig h2("    client_header_timeout: 200ms\n");
  h2.open();
  ASSERT_TRUE(h2.run_until([&] { return h2.ended(); }));
  EXPECT_EQ(h2.wire.frames.goaway(), kNoError);
  EXPECT_TRUE(h2.wire.closed);
}

TEST(H2Connection, AStreamWaitingForItsTargetDoesNotHoldUpAnother) {
  H2Rig h2;
  h2.targets.scripts.push_back(hangs());
  h2.targets.scripts.push_back(answers(kOk));
  h2.open();
  h2.request(1, h2c_get("/slow"));
  h2.request(3, h2c_get("/fast"));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(3); }));
  EXPECT_EQ(h2.body(3), "ok");
  EXPECT_EQ(h2.wire.frames.status(1), "");

  h2.targets.target(0).feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow", FakeStream::AtEnd::eof);
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));
  EXPECT_EQ(h2.body(1), "slow");
}

TEST(H2Connection, AResponseCutShortResetsItsStreamAndTheConnectionServesOn) {
  H2Rig h2;
  h2.targets.scripts.push_back(answers("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));  // then EOF
  h2.targets.scripts.push_back(answers(kOk));
  h2.open();
  h2.request(1, h2c_get("/cut"));
  ASSERT_TRUE(h2.run_until([&] { return h2.wire.frames.rst(1).has_value(); }));
  EXPECT_EQ(h2.wire.frames.rst(1), kInternalError);
  EXPECT_FALSE(h2.ended_stream(1)) << "the client cannot take the cut answer for a whole one";

  h2.request(3, h2c_get("/next"));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(3); }));
  EXPECT_EQ(h2.body(3), "ok");
  EXPECT_FALSE(h2.wire.frames.goaway().has_value());
}

TEST(H2Connection, AProtocolErrorEndsTheConnectionWithGoaway) {
  H2Rig h2;
  h2.open();
  h2.wire.send(wire::data(0, "x", false));  // DATA on stream 0
  ASSERT_TRUE(h2.run_until([&] { return h2.ended(); }));
  EXPECT_EQ(h2.wire.frames.goaway(), kProtocolError);
  EXPECT_TRUE(h2.wire.closed);
}

TEST(H2Connection, APathOverMaxRequestLineIs414AndNoTargetIsAsked) {
  H2Rig h2("    max_request_line: 1024\n");
  h2.open();
  h2.request(1, h2c_get("/" + std::string(2000, 'a')));
  ASSERT_TRUE(h2.run_until([&] { return h2.ended_stream(1); }));
  EXPECT_EQ(h2.wire.frames.status(1), "414");
  EXPECT_FALSE(h2.targets.dialed(0));
}

}  // namespace h2_connection_test
}  // namespace fulcrum::http::testing
