// Floods a client can send without breaking the protocol: each must end the connection with
// GOAWAY ENHANCE_YOUR_CALM before it costs much, and what a legitimate client sends must stay
// far from the limits. Frames are written by hand (h2_wire.hpp).
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <functional>
#include <ostream>
#include <string>

#include "h2_wire.hpp"

namespace fulcrum::http {
namespace h2_flood_test {

using namespace wire;

constexpr uint32_t kCalm = NGHTTP2_ENHANCE_YOUR_CALM;

// CVE-2024-28182: a header block that never ends, one CONTINUATION after another, each kept
// by the server. nghttp2 stops at max_continuations with a fatal error and no GOAWAY of its
// own; the session sends one.
TEST(H2Flood, ContinuationFloodEndsTheConnectionWithGoaway) {
  Peer peer({.max_continuations = 8});
  const std::string block = peer.encoder.encode({{":method", "GET"}, {":scheme", "https"}, {":authority", "a"},
                                                 {":path", "/"}, {"x-pad", std::string(200, 'p')}});
  // A legitimate head in 9 frames (HEADERS + 8 CONTINUATION) is served ...
  const size_t piece = block.size() / 9 + 1;
  std::string frames = headers(1, block.substr(0, piece), true, false);
  for (size_t at = piece; at < block.size(); at += piece) {
    const bool last = at + piece >= block.size();
    frames += frame(NGHTTP2_CONTINUATION, last ? NGHTTP2_FLAG_END_HEADERS : 0, 1, block.substr(at, piece));
  }
  EXPECT_TRUE(peer.send(frames));
  EXPECT_EQ(peer.heads.count(1), 1u);

  // ... one in 30 is not.
  const std::string next = peer.encoder.encode(get("/next"));
  std::string flood = headers(3, next.substr(0, 1), true, false);
  for (int i = 0; i < 30; ++i) flood += frame(NGHTTP2_CONTINUATION, 0, 3, "");
  EXPECT_FALSE(peer.send(flood));
  EXPECT_EQ(peer.server.abuse(), H2Abuse::continuations);
  EXPECT_EQ(peer.reader.goaway(), kCalm);
  EXPECT_EQ(peer.heads.count(3), 0u);
  EXPECT_FALSE(peer.send(ping()));  // nothing more is read
}

// One flood per kind of frame that costs the server without serving anything: within the
// budget the connection serves on, past it GOAWAY ENHANCE_YOUR_CALM.
struct FloodCase {
  const char* name;
  std::function<std::string(int)> frame;  // the i-th frame of the flood
  friend void PrintTo(const FloodCase& c, std::ostream* os) { *os << c.name; }
};

class H2ControlFlood : public ::testing::TestWithParam<FloodCase> {};

TEST_P(H2ControlFlood, PastTheBudgetEndsTheConnection) {
  // A refill of 1 a second is nothing worth counting within the test.
  Peer peer({.control_frame_burst = 100, .control_frames_per_second = 1});
  // A stream with a body under way, for the DATA and stream WINDOW_UPDATE floods.
  Fields post = get("/upload");
  post[0].second = "POST";
  ASSERT_TRUE(peer.request(1, post, false));
  ASSERT_EQ(peer.heads.count(1), 1u);
  std::string within;
  for (int i = 0; i < 80; ++i) within += GetParam().frame(i);
  EXPECT_TRUE(peer.send(within));
  EXPECT_FALSE(peer.reader.goaway());
  EXPECT_TRUE(peer.request(3, get("/still-served")));
  EXPECT_EQ(peer.heads.count(3), 1u);

  std::string past;
  for (int i = 80; i < 200; ++i) past += GetParam().frame(i);
  EXPECT_FALSE(peer.send(past));
  EXPECT_EQ(peer.server.abuse(), H2Abuse::control_frames);
  EXPECT_EQ(peer.reader.goaway(), kCalm);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, H2ControlFlood,
    ::testing::Values(FloodCase{"Ping", [](int i) { return ping(static_cast<uint8_t>(i)); }},
                      FloodCase{"Settings", [](int) { return settings({{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}}); }},
                      FloodCase{"EmptySettings", [](int) { return settings(); }},
                      FloodCase{"Priority", [](int i) { return priority(101 + 2 * i, 0); }},
                      FloodCase{"PriorityOfAnOpenStream", [](int) { return priority(1, 0); }},
                      FloodCase{"ConnectionWindowUpdate", [](int) { return window_update(0, 1); }},
                      FloodCase{"StreamWindowUpdate", [](int) { return window_update(1, 1); }},
                      FloodCase{"EmptyData", [](int) { return data(1, "", false); }},
                      FloodCase{"PaddingOnlyData",
                                [](int) { return frame(NGHTTP2_DATA, NGHTTP2_FLAG_PADDED, 1, std::string(1, '\x03') + "pad"); }}),
    [](const ::testing::TestParamInfo<FloodCase>& info) { return std::string(info.param.name); });

// A client that sends PINGs (or SETTINGS) and never reads their ACKs: nghttp2 stops at
// max_queued_acks with a fatal error and no GOAWAY; the session queues one behind the ACKs.
TEST(H2Flood, AcksTheClientDoesNotReadEndTheConnection) {
  H2ServerSession::Limits limits{.control_frame_burst = 100000, .max_queued_acks = 20};
  Peer peer(limits);
  std::string pings;
  for (int i = 0; i < 15; ++i) pings += ping(static_cast<uint8_t>(i));
  EXPECT_TRUE(peer.server.receive(pings));  // output not taken: the ACKs wait
  pings.clear();
  for (int i = 0; i < 15; ++i) pings += ping(static_cast<uint8_t>(i));
  EXPECT_FALSE(peer.server.receive(pings));
  EXPECT_EQ(peer.server.abuse(), H2Abuse::unread_acks);
  peer.reader.feed(drain(peer.server));
  EXPECT_EQ(peer.reader.goaway(), kCalm);
  EXPECT_EQ(peer.reader.frames.back().type, NGHTTP2_GOAWAY);
}

TEST(H2Flood, ASettingsFrameWithTooManyEntriesEndsTheConnection) {
  Peer peer({.max_settings_entries = 8});
  EXPECT_TRUE(peer.send(settings(std::vector<std::pair<uint16_t, uint32_t>>(8, {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}))));
  EXPECT_FALSE(peer.reader.goaway());
  peer.send(settings(std::vector<std::pair<uint16_t, uint32_t>>(9, {NGHTTP2_SETTINGS_ENABLE_PUSH, 0})));
  EXPECT_EQ(peer.reader.goaway(), kCalm);
}

// nghttp2's own reset limit (33 a second by default) would end, with INTERNAL_ERROR, a client
// the reset budget allows: it is raised above the budget.
TEST(H2Flood, ResetsWithinTheBudgetAreNotCutByNghttp2) {
  Peer peer({.reset_burst = 2000, .resets_per_second = 1});
  std::string opened_and_cancelled;
  for (int32_t id = 1; id < 2 * 1500; id += 2) {
    opened_and_cancelled += headers(id, peer.encoder.encode(get("/")), true);
    opened_and_cancelled += frame(NGHTTP2_RST_STREAM, 0, id, u32(NGHTTP2_CANCEL));
  }
  EXPECT_TRUE(peer.send(opened_and_cancelled));
  EXPECT_FALSE(peer.reader.goaway());
  EXPECT_EQ(peer.heads.size(), 1500u);
}

// RFC 8441 (extended CONNECT, e.g. WebSockets over HTTP/2) is not served: not advertised.
TEST(H2Flood, TheServerDoesNotAdvertiseExtendedConnect) {
  Peer peer;
  const auto advertised = peer.reader.server_settings();
  EXPECT_EQ(advertised.count(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 1u);  // the frame was read
  EXPECT_EQ(advertised.count(NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL), 0u);
  // And a :protocol request is refused as such.
  EXPECT_TRUE(peer.request(1, {{":method", "CONNECT"}, {":protocol", "websocket"}, {":scheme", "https"},
                               {":authority", "a"}, {":path", "/chat"}}));
  EXPECT_EQ(peer.heads.count(1), 0u);
  EXPECT_EQ(peer.reader.rst(1), static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

}  // namespace h2_flood_test
}  // namespace fulcrum::http
