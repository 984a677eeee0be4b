// Guards: per-listener event counters (and their /metrics lines) and the keying of IPv6
// clients by network for the per-client limits.
#include "security/guards.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "client_address_text.hpp"

namespace fulcrum::security {
namespace guards_test {

using testing::address;

config::ListenerConfig listener(const std::string& name, uint32_t max_connections, uint32_t ipv6_prefix = 64) {
  config::ListenerConfig l;
  l.name = name;
  l.protocol = config::ListenerProtocol::http;
  l.security.max_connections_per_client = max_connections;
  l.security.ipv6_client_prefix = ipv6_prefix;
  l.security.deny = {"203.0.113.0/24"};
  return l;
}

std::shared_ptr<const ListenerGuards> compile(Guards& guards, std::vector<config::ListenerConfig> listeners) {
  auto config = std::make_shared<config::Config>();
  config->listeners = std::move(listeners);
  return guards.for_config(config);
}

TEST(ClientAddress, CountedAsClearsTheHostBitsOfIpv6Only) {
  char text[46];
  EXPECT_EQ(address("2001:db8:1:2:aaaa:bbbb:cccc:dddd").counted_as(64).text(text), "2001:db8:1:2::");
  EXPECT_EQ(address("2001:db8:1:2:aaaa:bbbb:cccc:dddd").counted_as(56).text(text), "2001:db8:1::");
  EXPECT_EQ(address("2001:db8:1:2ff:aaaa::1").counted_as(60).text(text), "2001:db8:1:2f0::");
  EXPECT_EQ(address("2001:db8:1:2:aaaa:bbbb:cccc:dddd").counted_as(128).text(text), "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  EXPECT_EQ(address("::1").counted_as(64).text(text), "::");
  EXPECT_EQ(address("203.0.113.7").counted_as(64).text(text), "203.0.113.7");  // IPv4: whole
  EXPECT_EQ(address("::ffff:203.0.113.7").counted_as(1).text(text), "203.0.113.7");  // mapped: IPv4
}

TEST(Guards, Ipv6ClientsShareTheLimitsOfTheirSlash64ByDefault) {
  Guards guards(10);
  auto compiled = compile(guards, {listener("per64", 2), listener("per128", 2, 128)});
  const ListenerGuard& per64 = (*compiled)[0];
  const ListenerGuard& per128 = (*compiled)[1];
  std::vector<ClientTicket> held(6);
  // Two addresses of one /64 count as one client: the third connection is refused.
  EXPECT_TRUE(guards.admit(per64, address("2001:db8:0:1::1"), held[0]));
  EXPECT_TRUE(guards.admit(per64, address("2001:db8:0:1:ffff::2"), held[1]));
  ClientTicket refused;
  EXPECT_FALSE(guards.admit(per64, address("2001:db8:0:1::3"), refused));
  EXPECT_FALSE(refused.held());
  // The next /64 is another client.
  EXPECT_TRUE(guards.admit(per64, address("2001:db8:0:2::1"), held[2]));
  // ipv6_client_prefix: 128 counts each address alone.
  EXPECT_TRUE(guards.admit(per128, address("2001:db8:0:1::1"), held[3]));
  EXPECT_TRUE(guards.admit(per128, address("2001:db8:0:1::1"), held[4]));
  EXPECT_TRUE(guards.admit(per128, address("2001:db8:0:1::2"), held[5]));
  EXPECT_FALSE(guards.admit(per128, address("2001:db8:0:1::1"), refused));
  // A closed connection frees its place in the /64.
  held[0].reset();
  EXPECT_TRUE(guards.admit(per64, address("2001:db8:0:1::99"), held[0]));
}

TEST(Guards, EventsAreCountedPerListenerAndExposedWithAListenerLabel) {
  Guards guards(10);
  guards.set_workers(2);
  auto compiled = compile(guards, {listener("front", 0), listener("api", 1)});
  ClientTicket ticket;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(guards.admit((*compiled)[0], address("203.0.113.9"), ticket));
  EXPECT_FALSE(guards.admit((*compiled)[1], address("203.0.113.9"), ticket));
  ClientTicket held;
  EXPECT_TRUE(guards.admit((*compiled)[1], address("198.51.100.1"), held));
  EXPECT_FALSE(guards.admit((*compiled)[1], address("198.51.100.1"), ticket));
  EXPECT_EQ((*compiled)[0].counters->total(Event::denied), 3u);
  EXPECT_EQ((*compiled)[1].counters->total(Event::denied), 1u);
  EXPECT_EQ((*compiled)[1].counters->total(Event::too_many_connections), 1u);
  const std::string text = guards.prometheus_text();
  EXPECT_NE(text.find("fulcrum_security_events_total{listener=\"front\",event=\"denied\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fulcrum_security_events_total{listener=\"api\",event=\"denied\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fulcrum_security_events_total{listener=\"api\",event=\"too_many_connections\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("fulcrum_security_events_total{listener=\"front\",event=\"too_many_connections\"} 0\n"),
            std::string::npos) << text;

  // A reload keeps a listener's counts (same name), and a removed listener leaves /metrics.
  auto reloaded = compile(guards, {listener("front", 0)});
  EXPECT_EQ((*reloaded)[0].counters->total(Event::denied), 3u);
  EXPECT_EQ(guards.prometheus_text().find("listener=\"api\""), std::string::npos);
}

TEST(ListenerCounters, ThreadsThatAreNoWorkerAddToTheSharedSlotWithoutLosingCounts) {
  ListenerCounters counters(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counters.add(Event::requests_too_fast);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counters.total(Event::requests_too_fast), 40000u);
  EXPECT_EQ(counters.total(Event::denied), 0u);
}

}  // namespace guards_test
}  // namespace fulcrum::security

namespace fulcrum::security {
namespace guards_test {

// scheme: internal refuses clients outside the private networks before anything else decides,
// so an `allow` entry cannot open an internal listener to the internet; each refusal is counted.
TEST(Guards, AnInternalListenerAdmitsPrivateClientsOnlyAndCountsTheOthers) {
  Guards guards;
  config::ListenerConfig internal;
  internal.name = "inside";
  internal.protocol = config::ListenerProtocol::tcp;
  internal.scheme = config::ListenerScheme::internal;
  internal.security.allow = {"0.0.0.0/0", "::/0"};
  auto compiled = compile(guards, {internal});
  const ListenerGuard& guard = (*compiled)[0];
  EXPECT_FALSE(guard.open());
  for (const char* inside : {"10.0.0.7", "172.20.1.1", "192.168.3.4", "100.64.9.9", "127.0.0.1", "::1", "fd00::5",
                             "fe80::1"}) {
    ClientTicket ticket;
    EXPECT_TRUE(guards.admit(guard, address(inside), ticket)) << inside;
  }
  for (const char* outside : {"203.0.113.9", "8.8.8.8", "2001:db8::1"}) {
    ClientTicket ticket;
    EXPECT_FALSE(guards.admit(guard, address(outside), ticket)) << outside;
  }
  EXPECT_EQ(guard.counters->total(Event::external_client), 3u);
  EXPECT_EQ(guard.counters->total(Event::denied), 0u);
  EXPECT_NE(guards.prometheus_text().find(
                "fulcrum_security_events_total{listener=\"inside\",event=\"external_client\"} 3\n"),
            std::string::npos);
  // The default scheme leaves a listener without other checks open (nothing to do at accept).
  config::ListenerConfig facing = internal;
  facing.scheme = config::ListenerScheme::internet_facing;
  facing.security.allow.clear();
  EXPECT_TRUE((*compile(guards, {facing}))[0].open());
}

}  // namespace guards_test
}  // namespace fulcrum::security
