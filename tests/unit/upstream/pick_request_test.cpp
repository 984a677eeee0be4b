#include "upstream/pick_request.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "upstream/snapshot.hpp"

namespace fulcrum::upstream {
namespace pick_request_test {

// A request's facts for the tests: a header map (names in lower case), cookies and a URI.
class FakeRequest final : public RequestKeys {
 public:
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> cookies;
  std::string target = "/";

  std::string_view header(std::string_view lower_case_name) const override { return find(headers, lower_case_name); }
  std::string_view cookie(std::string_view name) const override { return find(cookies, name); }
  std::string_view uri() const override { return target; }

 private:
  static std::string_view find(const std::map<std::string, std::string>& map, std::string_view name) {
    auto it = map.find(std::string(name));
    return it == map.end() ? std::string_view{} : std::string_view(it->second);
  }
};

config::TargetGroupConfig group_with(config::Algorithm algorithm, config::HashKeyKind kind = config::HashKeyKind::source_ip,
                                     std::string name = "") {
  config::TargetGroupConfig group;
  group.algorithm = algorithm;
  group.hash_key.kind = kind;
  group.hash_key.name = std::move(name);
  return group;
}

ClientAddress v4(const char* text) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ::inet_pton(AF_INET, text, &address.sin_addr);
  return ClientAddress::from(reinterpret_cast<const sockaddr*>(&address));
}

ClientAddress v6(const char* text) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, text, &address.sin6_addr);
  return ClientAddress::from(reinterpret_cast<const sockaddr*>(&address));
}

TEST(PickRequest, OnlyIpHashGroupsComputeAKey) {
  for (auto algorithm : {config::Algorithm::round_robin, config::Algorithm::weighted_round_robin,
                         config::Algorithm::least_connections, config::Algorithm::random_two_choices}) {
    const KeySource source = KeySource::of(group_with(algorithm, config::HashKeyKind::header, "X-User"));
    EXPECT_EQ(source.kind, KeySource::Kind::none);
    EXPECT_FALSE(pick_hash(source, {.client = v4("10.0.0.1")}).has_value());
  }
  const KeySource source = KeySource::of(group_with(config::Algorithm::ip_hash));
  EXPECT_EQ(source.kind, KeySource::Kind::source_ip);
  EXPECT_TRUE(pick_hash(source, {.client = v4("10.0.0.1")}).has_value());
}

TEST(PickRequest, TheClientAddressKeyIsStableAndDistinguishesClients) {
  const KeySource source = KeySource::of(group_with(config::Algorithm::ip_hash));
  EXPECT_EQ(pick_hash(source, {.client = v4("10.0.0.1")}), pick_hash(source, {.client = v4("10.0.0.1")}));
  EXPECT_NE(pick_hash(source, {.client = v4("10.0.0.1")}), pick_hash(source, {.client = v4("10.0.0.2")}));
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d: the same client, the same key.
  EXPECT_EQ(pick_hash(source, {.client = v6("::ffff:10.0.0.1")}), pick_hash(source, {.client = v4("10.0.0.1")}));
  EXPECT_NE(pick_hash(source, {.client = v6("2001:db8::1")}), pick_hash(source, {.client = v6("2001:db8::2")}));
  // At layer 4 (no request) and for source_ip on HTTP, the request changes nothing.
  FakeRequest request;
  request.headers["x-user"] = "alice";
  EXPECT_EQ(pick_hash(source, {.client = v4("10.0.0.1"), .request = &request}),
            pick_hash(source, {.client = v4("10.0.0.1")}));
}

TEST(PickRequest, AHeaderKeyFollowsTheHeaderWhateverTheClientAndItsNameIsCaseInsensitive) {
  const KeySource source = KeySource::of(group_with(config::Algorithm::ip_hash, config::HashKeyKind::header, "X-User"));
  EXPECT_EQ(source.name, "x-user");
  FakeRequest alice;
  alice.headers["x-user"] = "alice";
  FakeRequest bob;
  bob.headers["x-user"] = "bob";
  EXPECT_EQ(pick_hash(source, {.client = v4("10.0.0.1"), .request = &alice}),
            pick_hash(source, {.client = v4("10.0.0.2"), .request = &alice}));
  EXPECT_NE(pick_hash(source, {.client = v4("10.0.0.1"), .request = &alice}),
            pick_hash(source, {.client = v4("10.0.0.1"), .request = &bob}));
}

TEST(PickRequest, AMissingHeaderOrCookieFallsBackToTheClientAddress) {
  const KeySource address = KeySource::of(group_with(config::Algorithm::ip_hash));
  FakeRequest without;
  for (auto kind : {config::HashKeyKind::header, config::HashKeyKind::cookie}) {
    const KeySource source = KeySource::of(group_with(config::Algorithm::ip_hash, kind, "session"));
    const auto key = pick_hash(source, {.client = v4("10.0.0.7"), .request = &without});
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key, pick_hash(address, {.client = v4("10.0.0.7")}));
    // Layer 4: no request at all, the same fallback.
    EXPECT_EQ(pick_hash(source, {.client = v4("10.0.0.7")}), key);
  }
}

TEST(PickRequest, CookieAndUriKeys) {
  const KeySource cookie = KeySource::of(group_with(config::Algorithm::ip_hash, config::HashKeyKind::cookie, "sid"));
  FakeRequest a;
  a.cookies["sid"] = "s-1";
  FakeRequest b;
  b.cookies["sid"] = "s-2";
  EXPECT_EQ(pick_hash(cookie, {.client = v4("10.0.0.1"), .request = &a}),
            pick_hash(cookie, {.client = v4("10.9.9.9"), .request = &a}));
  EXPECT_NE(pick_hash(cookie, {.client = v4("10.0.0.1"), .request = &a}),
            pick_hash(cookie, {.client = v4("10.0.0.1"), .request = &b}));

  const KeySource uri = KeySource::of(group_with(config::Algorithm::ip_hash, config::HashKeyKind::uri));
  FakeRequest one;
  one.target = "/videos/1?q=2";
  FakeRequest two;
  two.target = "/videos/2";
  EXPECT_EQ(pick_hash(uri, {.client = v4("10.0.0.1"), .request = &one}),
            pick_hash(uri, {.client = v4("10.0.0.2"), .request = &one}));
  EXPECT_NE(pick_hash(uri, {.client = v4("10.0.0.1"), .request = &one}),
            pick_hash(uri, {.client = v4("10.0.0.1"), .request = &two}));
}

TEST(PickRequest, MakePickRequestCarriesTheGroupsKeyAndTheClock) {
  GroupSnapshot group;
  group.key_source = KeySource::of(group_with(config::Algorithm::ip_hash));
  const balance::PickRequest request = make_pick_request(group, {.client = v4("10.0.0.1")}, 1234);
  EXPECT_EQ(request.now_ms, 1234);
  EXPECT_EQ(request.hash, pick_hash(group.key_source, {.client = v4("10.0.0.1")}));
  EXPECT_TRUE(request.avoid.empty());
}

}  // namespace pick_request_test
}  // namespace fulcrum::upstream
