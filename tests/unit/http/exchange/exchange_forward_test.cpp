// The forward and retry loop of the exchange over targets in memory (FakeConnector): which
// failures send a request to another target, the client unaware, and which are answered.
#include <gtest/gtest.h>

#include "exchange_fakes.hpp"

namespace fulcrum::http::testing {
namespace exchange_forward_test {

const std::vector<std::string> kTwo = {"127.0.0.1:1", "127.0.0.2:1"};
const std::string kPost = "POST /a HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc";
const std::string kPut = "PUT /a HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc";

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

TEST(ExchangeForward, TheRewrittenRequestGoesOutAndTheResponseComesBack) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  targets.in_order = {{.response = kOk}};
  const Served s = rig.serve(kPost, targets);
  EXPECT_TRUE(s.keep);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.attempts, 1u);
  EXPECT_TRUE(starts_with(s.to_client, "HTTP/1.1 200 OK\r\n")) << s.to_client;
  EXPECT_EQ(s.to_client.substr(s.to_client.size() - 2), "ok");
  ASSERT_EQ(targets.streams().size(), 1u);
  const std::string& sent = targets.streams()[0]->written;
  EXPECT_TRUE(starts_with(sent, "POST /a HTTP/1.1\r\n")) << sent;
  EXPECT_NE(sent.find("X-Forwarded-For: 192.0.2.7\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("X-Request-Id: "), std::string::npos) << sent;
  EXPECT_EQ(sent.substr(sent.size() - 7), "\r\n\r\nabc");
  EXPECT_EQ(targets.given_back, 1);  // both sides keep-alive: the connection goes back to the pool
}

TEST(ExchangeForward, AFailedWriteGoesToAnotherTargetWhateverTheMethod) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  targets.in_order = {{.fail_writes = true}, {.response = kOk}};
  const Served s = rig.serve(kPost, targets);  // POST: nothing reached the first target
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.attempts, 2u);
  ASSERT_EQ(targets.dialed.size(), 2u);
  EXPECT_NE(targets.dialed[0], targets.dialed[1]);
  EXPECT_EQ(targets.streams()[1]->written.substr(targets.streams()[1]->written.size() - 3), "abc");
}

TEST(ExchangeForward, ARefusedConnectionTriesTheNextTarget) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  targets.in_order = {{.refuse = true}, {.response = kOk}};
  const Served s = rig.serve(kPost, targets);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.attempts, 2u);
  EXPECT_NE(targets.dialed[0], targets.dialed[1]);
}

TEST(ExchangeForward, EveryTargetRefusingIs502) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());  // no scripts: every dial is refused
  const Served s = rig.serve(kGet, targets);
  EXPECT_EQ(s.status, 502);
  EXPECT_TRUE(starts_with(s.to_client, "HTTP/1.1 502 ")) << s.to_client;
  EXPECT_EQ(targets.dialed.size(), 2u);  // each target once (the avoid list), then the answer
}

TEST(ExchangeForward, ARetryAfterANewSnapshotOfTheSameConfigurationPicksFromItsOwn) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  targets.in_order = {{.refuse = true}, {.response = kOk}};
  // The first dial fails after the worker moved on to a newer snapshot (say the target ejected).
  targets.before_dial = [&] {
    if (targets.dialed.empty()) rig.install();
  };
  const Served s = rig.serve(kGet, targets);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.attempts, 2u);
  ASSERT_EQ(targets.dialed.size(), 2u);
  EXPECT_NE(targets.dialed[0], targets.dialed[1]);  // the avoid list holds across the snapshots
}

TEST(ExchangeForward, ARetryAfterAReloadIs502) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  targets.in_order = {{.refuse = true}, {.response = kOk}};
  targets.before_dial = [&] {
    if (targets.dialed.empty()) rig.install(forward_config(kTwo));  // a new configuration, alike or not
  };
  const Served s = rig.serve(kGet, targets);
  EXPECT_EQ(s.status, 502);
  EXPECT_EQ(s.attempts, 1u);
  EXPECT_EQ(targets.dialed.size(), 1u);
}

// One request to two targets whose new connections behave as `scripts`, in the order dialed.
struct TwoTargets {
  Served served;
  std::vector<std::string> dialed;
};
TwoTargets serve_to_two(const std::string& request, std::deque<TargetScript> scripts, const std::string& group_extra = "",
                        const std::string& listener_extra = "") {
  Rig rig(forward_config(kTwo, group_extra, listener_extra));
  FakeConnector targets(rig.loop());
  targets.in_order = std::move(scripts);
  TwoTargets out;
  out.served = rig.serve(request, targets);
  out.dialed = targets.dialed;
  return out;
}

TEST(ExchangeForward, AResetBeforeTheFirstByteRetriesAGetButNotAPost) {
  const std::deque<TargetScript> reset_then_ok = {{.at_end = FakeStream::AtEnd::reset}, {.response = kOk}};
  const auto get = serve_to_two(kGet, reset_then_ok);
  EXPECT_EQ(get.served.status, 200);
  EXPECT_EQ(get.served.attempts, 2u);
  ASSERT_EQ(get.dialed.size(), 2u);
  EXPECT_NE(get.dialed[0], get.dialed[1]);
  const auto post = serve_to_two(kPost, reset_then_ok);  // the target may have acted on it
  EXPECT_EQ(post.served.status, 502);
  EXPECT_EQ(post.served.attempts, 1u);
  EXPECT_FALSE(post.served.keep);
  EXPECT_EQ(post.dialed.size(), 1u);
}

TEST(ExchangeForward, ATimeoutIsRetriedOnlyWithRetryOnTimeoutAndOnlyWhenIdempotent) {
  const std::deque<TargetScript> hang_then_ok = {{.at_end = FakeStream::AtEnd::hang}, {.response = kOk}};
  const std::string listener = "    response_timeout: 100ms\n";
  const std::string retry = "    retry_on_timeout: true\n";
  const auto get = serve_to_two(kGet, hang_then_ok, retry, listener);
  EXPECT_EQ(get.served.status, 200);
  EXPECT_EQ(get.served.attempts, 2u);
  const auto post = serve_to_two(kPost, hang_then_ok, retry, listener);
  EXPECT_EQ(post.served.status, 504);
  EXPECT_EQ(post.served.attempts, 1u);
  const auto without = serve_to_two(kGet, hang_then_ok, "", listener);
  EXPECT_EQ(without.served.status, 504);
  EXPECT_EQ(without.served.attempts, 1u);
  EXPECT_TRUE(starts_with(without.served.to_client, "HTTP/1.1 504 ")) << without.served.to_client;
}

TEST(ExchangeForward, AStalePooledConnectionIsReplacedByAFreshOneToTheSameTarget) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  for (const auto& address : kTwo) targets.pooled[address] = {{.at_end = FakeStream::AtEnd::reset}};
  targets.in_order = {{.response = kOk}};
  const Served s = rig.serve(kPut, targets);  // even a non-idempotent one: it is still whole
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.attempts, 1u);  // the same target, not a retry
  ASSERT_EQ(targets.dialed.size(), 2u);
  EXPECT_EQ(targets.dialed[0], "pooled " + targets.dialed[1]);
}

TEST(ExchangeForward, AStreamedBodyIsReplayedWholeWithinTheRetryLimit) {
  Rig rig(forward_config(kTwo, "    retry_body_limit: 64KiB\n"));
  const std::string body(40 * 1024, 'x');
  const std::string head = "PUT /a HTTP/1.1\r\nHost: example.com\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  const std::string first = head + body.substr(0, 1000);  // the rest streams after the head
  {
    FakeConnector targets(rig.loop());
    targets.in_order = {{.at_end = FakeStream::AtEnd::reset}, {.response = kOk}};
    const Served s = rig.serve(first, targets, body.substr(1000));
    EXPECT_EQ(s.status, 200);
    EXPECT_EQ(s.attempts, 2u);
    ASSERT_EQ(targets.streams().size(), 2u);
    const std::string& again = targets.streams()[1]->written;
    ASSERT_GE(again.size(), body.size());
    EXPECT_EQ(again.substr(again.size() - body.size()), body);  // every byte, in order
  }
  const std::string big(100 * 1024, 'y');
  const std::string big_head = "PUT /a HTTP/1.1\r\nHost: example.com\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n";
  FakeConnector targets(rig.loop());
  targets.in_order = {{.at_end = FakeStream::AtEnd::reset}, {.response = kOk}};
  const Served s = rig.serve(big_head, targets, big);  // past retry_body_limit: not sent twice
  EXPECT_EQ(s.status, 502);
  EXPECT_EQ(s.attempts, 1u);
}

TEST(ExchangeForward, AMalformedResponseIs502) {
  Rig rig(forward_config(kTwo));
  FakeConnector targets(rig.loop());
  targets.in_order = {{.response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"}};
  const Served s = rig.serve(kGet, targets);
  EXPECT_EQ(s.status, 502);
  EXPECT_EQ(targets.given_back, 0);
}

TEST(ExchangeForward, AnswersOfOurOwnNeverReachATarget) {
  Rig rig(forward_config(kTwo, "", "    max_body_bytes: 2\n"));
  FakeConnector targets(rig.loop());
  const Served s = rig.serve(kPost, targets);
  EXPECT_EQ(s.status, 413);
  EXPECT_TRUE(s.lingered);  // refused: the client is drained, then closed
  EXPECT_TRUE(targets.dialed.empty());
}

}  // namespace exchange_forward_test
}  // namespace fulcrum::http::testing
