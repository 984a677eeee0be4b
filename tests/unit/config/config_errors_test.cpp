// One test per kind of configuration error: each asserts the exact line, column and message
// that `fulcrum validate` prints, since that is what users read.
#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace fulcrum::config {
namespace config_errors_test {

using testing::expect_error;
using testing::load;

// ---- unknown keys ----

TEST(ConfigErrors, UnknownKeySuggestsTheClosestKey) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    algoritm: round_robin
)",
               7, 5, "unknown key 'algoritm' in target group; did you mean 'algorithm'?");
}

TEST(ConfigErrors, UnknownKeyInNestedSectionSuggestsTheClosestKey) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check:
      intervall: 5s
)",
               8, 7, "unknown key 'intervall' in health_check; did you mean 'interval'?");
}

TEST(ConfigErrors, MisplacedKeySaysWhereItBelongs) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    policy: modern
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 5, "unknown key 'policy' in listener; 'policy' belongs in listeners[].tls, dns.names[]");
}

TEST(ConfigErrors, SuggestionAlsoSaysWhereElseTheSuggestedKeyLives) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocl: tcp
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 5,
               "unknown key 'protocl' in listener; did you mean 'protocol'? ('protocol' is also a key of "
               "target_groups[], target_groups[].health_check)");
}

TEST(ConfigErrors, UnknownKeyWithNoCloseMatchListsTheAllowedKeys) {
  expect_error(R"(colour: blue
listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               1, 1,
               "unknown key 'colour' in the top level; expected one of: workers, shutdown_timeout, user, group, admin, "
               "listeners, target_groups, dns, resolver");
}

TEST(ConfigErrors, DuplicateKeyInOneMap) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    algorithm: round_robin
    algorithm: least_connections
)",
               8, 5, "duplicate key 'algorithm' in target group (first at line 7)");
}

// ---- wrong types ----

TEST(ConfigErrors, WrongTypeExpectedANumber) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    targets:
      - { address: 127.0.0.1:9001, weight: abc }
)",
               8, 44, "weight: expected a number, got 'abc'");
}

TEST(ConfigErrors, WrongTypeExpectedAList) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    targets: 127.0.0.1:9001
)",
               7, 14, "targets: expected a list, got '127.0.0.1:9001'");
}

TEST(ConfigErrors, WrongTypeExpectedAMap) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    stickiness: lb_cookie
)",
               7, 17, "stickiness: expected a map of keys (type, duration, cookie, secret_file), got 'lb_cookie'");
}

TEST(ConfigErrors, WrongTypeExpectedAString) {
  expect_error(R"(listeners:
  - name: [web]
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               2, 11, "name: expected a string, got a list");
}

TEST(ConfigErrors, WrongTypeExpectedTrueOrFalse) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    accept_proxy_protocol: maybe
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 28, "accept_proxy_protocol: expected true or false, got 'maybe'");
}

TEST(ConfigErrors, AcceptProxyProtocolOnAnHttpListenerIsRefused) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    accept_proxy_protocol: true
    default: { forward: web }
target_groups:
  - name: web
)",
               5, 5,
               "'accept_proxy_protocol' applies to tcp and tls listeners only (http and https listeners do not read "
               "PROXY headers yet); listener 'web' is http");
}

TEST(ConfigErrors, Ipv6ClientPrefixOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    security:
      ipv6_client_prefix: 0
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 27, "ipv6_client_prefix: 0 is out of range (1..128)");
}

TEST(ConfigErrors, MissingValueIsReportedAtTheKey) {
  expect_error(R"(listeners:
  - name: web
    listen:
    default: { forward: web }
target_groups:
  - name: web
)",
               3, 5, "listen needs a value (a string)");
}

// ---- duplicate names ----

TEST(ConfigErrors, DuplicateListenerName) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
  - name: web
    listen: 127.0.0.1:8081
    default: { forward: web }
target_groups:
  - name: web
)",
               5, 11, "duplicate listener name 'web' (first at line 2)");
}

TEST(ConfigErrors, DuplicateTargetGroupName) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
  - name: web
)",
               7, 11, "duplicate target group name 'web' (first at line 6)");
}

TEST(ConfigErrors, DuplicateRuleName) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - name: api
        match: { path: /api/* }
        forward: web
      - name: api
        match: { path: /v2/* }
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)",
               9, 15, "duplicate rule name 'api' in listener 'web' (first at line 6)");
}

TEST(ConfigErrors, DuplicateTargetAddress) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    targets:
      - { address: 127.0.0.1:9001 }
      - { address: 127.0.0.1:9001, weight: 2 }
)",
               9, 20, "duplicate target address '127.0.0.1:9001' in target group 'web' (first at line 8)");
}

TEST(ConfigErrors, InvalidName) {
  expect_error(R"(listeners:
  - name: my web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               2, 11, "name: 'my web' is not a valid name: use 1..64 letters, digits, '.', '_' or '-'");
}

// ---- references ----

TEST(ConfigErrors, MissingTargetGroupInForwardString) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: wbe }
target_groups:
  - name: web
)",
               4, 25, "forward: no target group named 'wbe'; did you mean 'web'?");
}

// A listener and a group that speak different things are refused by validate, run and reload
// alike, at the forward that joins them.
TEST(ConfigErrors, HttpListenerForwardingToATcpOverTlsGroup) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    default: { forward: secure }
target_groups:
  - name: secure
    protocol: tls
    targets: [ { address: 127.0.0.1:9443 } ]
)",
               5, 25,
               "listener 'web' (http) forwards to group 'secure', whose protocol tls is TCP over TLS: use protocol "
               "https for HTTP over TLS");
}

TEST(ConfigErrors, TcpListenerForwardingToAnHttpsGroup) {
  expect_error(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    protocol: tcp
    default: { forward: secure }
target_groups:
  - name: secure
    protocol: https
    targets: [ { address: 127.0.0.1:9443 } ]
)",
               5, 25,
               "listener 'db' (tcp) forwards to group 'secure', whose protocol https is HTTP over TLS: use an https "
               "or http listener");
}

TEST(ConfigErrors, MissingTargetGroupInWeightedList) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default:
      forward: [ { group: web, weight: 90 }, { group: canary, weight: 10 } ]
target_groups:
  - name: web
)",
               5, 55, "forward: no target group named 'canary'");
}

TEST(ConfigErrors, ForwardListNamesAGroupTwice) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default:
      forward:
        - { group: web, weight: 1 }
        - { group: web, weight: 2 }
target_groups:
  - name: web
)",
               7, 20, "forward: target group 'web' is listed twice (first at line 6)");
}

TEST(ConfigErrors, ForwardWithEveryWeightZero) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default:
      forward: [ { group: web, weight: 0 } ]
target_groups:
  - name: web
)",
               5, 16, "forward: every weight is 0, so no target group would get traffic");
}

// ---- addresses ----

TEST(ConfigErrors, AddressWithoutPort) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1
    default: { forward: web }
target_groups:
  - name: web
)",
               3, 13, "listen: bad address '127.0.0.1': expected HOST:PORT");
}

TEST(ConfigErrors, PortOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    targets: [ { address: 127.0.0.1:70000 } ]
)",
               7, 27, "address: port 70000 out of range in '127.0.0.1:70000': expected 1..65535");
}

TEST(ConfigErrors, PortZeroIsRefused) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:0
    default: { forward: web }
target_groups:
  - name: web
)",
               3, 13, "listen: port 0 out of range in '127.0.0.1:0': expected 1..65535");
}

TEST(ConfigErrors, PortNotANumber) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:http
    default: { forward: web }
target_groups:
  - name: web
)",
               3, 13, "listen: bad port 'http' in '127.0.0.1:http': expected a number 1..65535");
}

TEST(ConfigErrors, TwoListenersOnOneAddress) {
  expect_error(R"(listeners:
  - name: a
    listen: 127.0.0.1:8080
    default: { forward: web }
  - name: b
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 13, "listen: 127.0.0.1:8080 is already used by listener 'a' (line 3)");
}

TEST(ConfigErrors, UdpAndTcpMayShareAnAddress) {
  auto result = load(R"(listeners:
  - name: a
    listen: 127.0.0.1:5353
    default: { forward: web }
  - name: b
    listen: 127.0.0.1:5353
    protocol: udp
    default: { forward: web }
target_groups:
  - name: web
)");
  EXPECT_TRUE(result.errors.empty()) << testing::all_errors(result);
}

TEST(ConfigErrors, MaxFlowsIsForUdpListenersOnly) {
  expect_error(R"(listeners:
  - name: a
    listen: 127.0.0.1:8080
    max_flows: 10
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 5, "'max_flows' applies to udp listeners only; listener 'a' is tcp");
}

TEST(ConfigErrors, MaxFlowsRange) {
  expect_error(R"(listeners:
  - name: a
    listen: 127.0.0.1:8080
    protocol: udp
    max_flows: 0
    default: { forward: web }
target_groups:
  - name: web
)",
               5, 16, "max_flows: 0 is out of range (1..10000000)");
}

// ---- durations ----

TEST(ConfigErrors, BadDurationUnit) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { interval: 5x }
)",
               7, 31,
               "interval: bad duration '5x': expected a number with a unit ms, s, m, h or d (e.g. 500ms, 5s, "
               "1m, 1h, 7d)");
}

TEST(ConfigErrors, DurationWithoutUnit) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    deregistration_delay: 30
)",
               7, 27,
               "deregistration_delay: bad duration '30': expected a number with a unit ms, s, m, h or d "
               "(e.g. 500ms, 5s, 1m, 1h, 7d)");
}

// ---- ranges ----

TEST(ConfigErrors, WeightOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    targets: [ { address: 127.0.0.1:9001, weight: 1001 } ]
)",
               7, 51, "weight: 1001 is out of range (0..1000)");
}

TEST(ConfigErrors, ForwardWeightOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: [ { group: web, weight: -1 } ] }
target_groups:
  - name: web
)",
               4, 49, "weight: expected a number, got '-1'");
}

TEST(ConfigErrors, HealthIntervalTooShort) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { interval: 500ms }
)",
               7, 31, "interval: 500ms is out of range (1s..5m)");
}

TEST(ConfigErrors, HealthIntervalTooLong) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { interval: 301s }
)",
               7, 31, "interval: 301s is out of range (1s..5m)");
}

TEST(ConfigErrors, HealthTimeoutNotShorterThanInterval) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check:
      interval: 5s
      timeout: 5s
)",
               9, 16, "timeout: 5s must be shorter than interval (5s)");
}

TEST(ConfigErrors, HealthTimeoutNotShorterThanDefaultInterval) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { timeout: 10s }
)",
               7, 30, "timeout: 10s must be shorter than interval (5s, the default)");
}

TEST(ConfigErrors, HealthyThresholdOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check:
      healthy_threshold: 0
)",
               8, 26, "healthy_threshold: 0 is out of range (1..10)");
}

TEST(ConfigErrors, UnhealthyThresholdOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check:
      unhealthy_threshold: 11
)",
               8, 28, "unhealthy_threshold: 11 is out of range (1..10)");
}

TEST(ConfigErrors, DeregistrationDelayOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    deregistration_delay: 3601s
)",
               7, 27, "deregistration_delay: 3601s is out of range (0s..1h)");
}

TEST(ConfigErrors, StickinessDurationOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    stickiness: { type: lb_cookie, duration: 8d }
)",
               7, 46, "duration: 8d is out of range (1s..7d)");
}

TEST(ConfigErrors, BadHealthMatcher) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { protocol: http, matcher: "200-99" }
)",
               7, 46,
               "matcher: bad matcher '200-99': expected status codes 100..599 like '200', '200-399' or "
               "'200,204'");
}

TEST(ConfigErrors, BackwardsHealthMatcherRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { protocol: http, matcher: "200,399-200" }
)",
               7, 46, "matcher: bad matcher '200,399-200': range '399-200' runs backwards");
}

TEST(ConfigErrors, RedirectStatusNotARedirect) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    default: { redirect: { status: 200, scheme: https } }
target_groups: []
)",
               5, 36, "status: 200 is not a redirect status (expected 301, 302, 303, 307 or 308)");
}

TEST(ConfigErrors, FixedResponseStatusOutOfRange) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    default: { fixed_response: { status: 600 } }
target_groups: []
)",
               5, 42, "status: 600 is out of range (100..599)");
}

TEST(ConfigErrors, RedirectThatWouldLoop) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    default: { redirect: { status: 302 } }
target_groups: []
)",
               5, 26,
               "redirect: set at least one of scheme, host, port, path or query; a redirect to the same URL "
               "would loop");
}

TEST(ConfigErrors, RedirectUnknownPlaceholder) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    default: { redirect: { host: "#{hostname}" } }
target_groups: []
)",
               5, 34,
               "host: unknown placeholder '#{hostname}'; expected #{scheme}, #{host}, #{port}, #{path} or "
               "#{query}");
}

TEST(ConfigErrors, WorkersNotANumber) {
  expect_error(R"(workers: many
listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               1, 10, "workers: expected 'auto' or a number 1..256, got 'many'");
}

TEST(ConfigErrors, KeepaliveConnectionsNeitherAutoNorANumberInRange) {
  const std::string head = testing::http_group_ending_in("keepalive_connections");
  expect_error(head + "all\n", 8, 28, "keepalive_connections: expected 'auto' or a number 0..10000, got 'all'");
  expect_error(head + "10001\n", 8, 28, "keepalive_connections: 10001 is out of range (0..10000)");
  expect_error(head + "-1\n", 8, 28, "keepalive_connections: expected 'auto' or a number 0..10000, got '-1'");
}

TEST(ConfigErrors, WorkersOutOfRange) {
  expect_error(R"(workers: 257
listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               1, 10, "workers: 257 is out of range (1..256)");
}

// ---- enumerations ----

TEST(ConfigErrors, UnknownListenerProtocol) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: htpp
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 15, "unknown protocol 'htpp'; did you mean 'http'? (expected tcp | udp | tls | http | https)");
}

TEST(ConfigErrors, UnknownAlgorithm) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    algorithm: round-robin
)",
               7, 16,
               "unknown algorithm 'round-robin'; did you mean 'round_robin'? (expected round_robin | "
               "weighted_round_robin | ip_hash | least_connections | weighted_least_connections | "
               "least_response_time | resource_based | random_two_choices)");
}

TEST(ConfigErrors, UnknownHashKey) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    algorithm: ip_hash
    hash_key: client_ip
)",
               8, 15, "unknown hash_key 'client_ip' (expected source_ip | header:NAME | cookie:NAME | uri)");
}

TEST(ConfigErrors, HashKeyHeaderWithoutName) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    hash_key: "header:"
)",
               7, 15, "hash_key: 'header:' needs a name after 'header:'");
}

TEST(ConfigErrors, UnknownTlsPolicy) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8443
    protocol: https
    tls:
      certificates: [ { cert: a.pem, key: a.key } ]
      policy: modrn
    default: { forward: web }
target_groups:
  - name: web
)",
               7, 15, "unknown tls policy 'modrn'; did you mean 'modern'? (expected modern | intermediate | legacy)");
}

TEST(ConfigErrors, AlpnListsH2WhileHttp2IsOff) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8443
    protocol: https
    http2: false
    tls:
      certificates: [ { cert: a.pem, key: a.key } ]
      alpn: [ h2, "http/1.1" ]
    default: { forward: web }
target_groups:
  - name: web
)",
               8, 13,
               "tls.alpn lists h2 but 'http2: false' turns HTTP/2 off on listener 'web' is https; drop h2 from alpn or "
               "the http2 key");
}

TEST(ConfigErrors, Http2KeysOnATcpListener) {
  expect_error(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    max_concurrent_streams: 10
    default: { forward: db }
target_groups:
  - name: db
)",
               4, 5, "'max_concurrent_streams' applies to http and https listeners only; listener 'db' is tcp");
}

TEST(ConfigErrors, UnknownProxyProtocolVersion) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    proxy_protocol: v3
)",
               7, 21, "unknown proxy_protocol 'v3'; did you mean 'v1'? (expected v1 | v2 | none)");
}

TEST(ConfigErrors, UnknownStickinessType) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    stickiness: { type: lb-cookie }
)",
               7, 25,
               "unknown stickiness type 'lb-cookie'; did you mean 'lb_cookie'? (expected lb_cookie | "
               "app_cookie | none)");
}

TEST(ConfigErrors, UnknownDesyncMode) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    desync_mode: strict
    default: { forward: web }
target_groups:
  - name: web
)",
               5, 18,
               "unknown desync_mode 'strict'; did you mean 'strictest'? (expected monitor | defensive | "
               "strictest)");
}

TEST(ConfigErrors, UnknownHealthCheckProtocol) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { protocol: icmp }
)",
               7, 31, "unknown health_check protocol 'icmp' (expected tcp | http | https | agent | udp)");
}

TEST(ConfigErrors, AppCookieStickinessNeedsACookie) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    stickiness: { type: app_cookie }
)",
               7, 25, "app_cookie stickiness needs 'cookie' (the application's cookie name, e.g. JSESSIONID)");
}

// ---- actions ----

TEST(ConfigErrors, RuleWithoutAction) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - name: api
        match: { path: /api/* }
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 9, "rule 'api' needs an action: forward, redirect or fixed_response");
}

TEST(ConfigErrors, RuleWithTwoActions) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - match: { path: /old/* }
        forward: web
        redirect: { path: /new }
    default: { forward: web }
target_groups:
  - name: web
)",
               8, 9,
               "rule '#1' has both 'forward' and 'redirect'; give exactly one action (forward, redirect or "
               "fixed_response)");
}

TEST(ConfigErrors, ListenerWithoutDefaultAction) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
target_groups: []
)",
               2, 5, "listener 'web' needs a default action, e.g. default: { forward: GROUP }");
}

// ---- protocol-specific checks ----

TEST(ConfigErrors, HttpsListenerNeedsCertificates) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8443
    protocol: https
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 15, "https listeners need tls: { certificates: [ { cert: FILE, key: FILE } ] }");
}

TEST(ConfigErrors, CertificateNeedsAKey) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8443
    protocol: https
    tls:
      certificates: [ { cert: www.pem } ]
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 23, "certificate needs 'key' (a PEM file)");
}

TEST(ConfigErrors, TlsSectionOnTcpListener) {
  expect_error(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    protocol: tcp
    tls: { certificates: [ { cert: a.pem, key: a.key } ] }
    default: { forward: db }
target_groups:
  - name: db
)",
               5, 5, "'tls' (certificates) applies to https listeners only; listener 'db' is tcp");
}

TEST(ConfigErrors, HttpConditionOnTcpListener) {
  expect_error(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    protocol: tcp
    rules:
      - match: { host: db.example.com }
        forward: db
    default: { forward: db }
target_groups:
  - name: db
)",
               6, 18, "'host' conditions need an http or https listener; listener 'db' is tcp");
}

TEST(ConfigErrors, SniConditionOnHttpsListener) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8443
    protocol: https
    tls: { certificates: [ { cert: a.pem, key: a.key } ] }
    rules:
      - match: { sni: api.example.com }
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)",
               7, 18, "'sni' matches only on tls (passthrough) listeners; listener 'web' is https (use 'host')");
}

TEST(ConfigErrors, RedirectOnTlsPassthroughListener) {
  expect_error(R"(listeners:
  - name: pass
    listen: 127.0.0.1:8443
    protocol: tls
    default: { redirect: { scheme: https } }
target_groups: []
)",
               5, 16, "'redirect' needs an http or https listener; listener 'pass' is tls (use forward)");
}

TEST(ConfigErrors, HttpOnlyListenerKeyOnTcpListener) {
  expect_error(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    desync_mode: strictest
    default: { forward: db }
target_groups:
  - name: db
)",
               4, 5, "'desync_mode' applies to http and https listeners only; listener 'db' is tcp");
}

TEST(ConfigErrors, MethodIsCaseSensitive) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - match: { method: [GET, post] }
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 32, "method: 'post' never matches because methods are case-sensitive; did you mean 'POST'?");
}

TEST(ConfigErrors, PathMustStartWithSlash) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - match: { path: api/* }
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 24, "path: 'api/*' must start with '/'");
}

// ---- CIDRs ----

TEST(ConfigErrors, InvalidCidrInAllow) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    security: { allow: [10.0.0.0/8, 10.0.0.0/33] }
    default: { forward: web }
target_groups:
  - name: web
)",
               4, 37, "allow: bad CIDR '10.0.0.0/33': the prefix length must be a number 0..32");
}

TEST(ConfigErrors, CidrWithHostBitsInDeny) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    security:
      deny: 203.0.113.7/24
    default: { forward: web }
target_groups:
  - name: web
)",
               5, 13, "deny: bad CIDR '203.0.113.7/24': host bits are set; did you mean '203.0.113.0/24'?");
}

TEST(ConfigErrors, InvalidCidrInSource) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - match: { source: [fd00::/8, "fd00::1::2/64"] }
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)",
               6, 37, "source: bad CIDR 'fd00::1::2/64': 'fd00::1::2' is not an IPv4 or IPv6 address");
}

// ---- WAF ----

TEST(ConfigErrors, InvalidWafRegex) {
  expect_error(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    security:
      waf:
        - { id: sqli, pattern: "union(select" }
    default: { forward: web }
target_groups:
  - name: web
)",
               7, 32, "pattern: invalid regular expression 'union(select': missing ): union(select");
}

TEST(ConfigErrors, WafOnTcpListener) {
  expect_error(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    security:
      waf_default_rules: true
    default: { forward: db }
target_groups:
  - name: db
)",
               5, 7, "'waf_default_rules' applies to http and https listeners only; listener 'db' is tcp");
}

// ---- admin ----

TEST(ConfigErrors, AdminOffLoopbackNeedsATokenFile) {
  expect_error(R"(admin:
  listen: 0.0.0.0:9090
listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)",
               2, 11,
               "admin.listen 0.0.0.0:9090 is not a loopback address, so the API needs a token: set "
               "admin.token_file (or listen on 127.0.0.1)");
}

TEST(ConfigErrors, AdminOffLoopbackWithTokenFileIsFine) {
  auto result = load(R"(admin:
  listen: 0.0.0.0:9090
  token_file: /etc/fulcrum/admin.token
listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
)");
  EXPECT_TRUE(result.errors.empty()) << testing::all_errors(result);
}

// ---- the file itself ----

TEST(ConfigErrors, YamlSyntaxErrorHasItsPosition) {
  expect_error(R"(listeners:
  - name: web
    listen: [127.0.0.1:8080
target_groups: []
)",
               4, 14, "YAML syntax error: end of sequence flow not found");
}

TEST(ConfigErrors, EmptyFile) {
  expect_error("", 1, 1, "the configuration is empty: it needs at least listeners and target_groups");
}

TEST(ConfigErrors, MissingListeners) {
  expect_error("target_groups: []\n", 1, 1,
               "the configuration needs listeners: at least one { name, listen, protocol, default } (or a dns: section, "
               "for a DNS-only global balancer)");
}

TEST(ConfigErrors, MissingFileIsAClearError) {
  LoadResult result = load_config_file("/nonexistent/fulcrum.yaml");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_FALSE(result.config.has_value());
  EXPECT_EQ(result.errors[0].format(),
            "/nonexistent/fulcrum.yaml:1:1: cannot read the configuration file: No such file or directory");
}

TEST(ConfigErrors, DirectoryIsAClearError) {
  LoadResult result = load_config_file("/tmp");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].format(), "/tmp:1:1: cannot read the configuration file: it is a directory");
}

TEST(ConfigErrors, ErrorFormatIsFileLineColumnMessage) {
  ConfigError error{"conf/fulcrum.yaml", 12, 7, "unknown key 'x'"};
  EXPECT_EQ(error.format(), "conf/fulcrum.yaml:12:7: unknown key 'x'");
}

// Every error in the file is reported, in file order, even those found in a later pass
// (references to target groups are checked after all groups are read).
TEST(ConfigErrors, SeveralErrorsAreAllReportedInFileOrder) {
  LoadResult result = load(R"(workers: lots
listeners:
  - name: web
    listen: 127.0.0.1:99999
    protocol: http
    rules:
      - match: { path: /a }
        forward: missing
    default: { forward: web }
target_groups:
  - name: web
    algoritm: round_robin
    health_check: { interval: 5x }
    targets:
      - { address: 127.0.0.1:9001, weight: 5000 }
)");
  ASSERT_EQ(result.errors.size(), 6u) << testing::all_errors(result);
  EXPECT_FALSE(result.config.has_value());
  std::vector<std::string> formatted;
  for (const auto& error : result.errors) formatted.push_back(error.format());
  EXPECT_EQ(formatted[0], "test.yaml:1:10: workers: expected 'auto' or a number 1..256, got 'lots'");
  EXPECT_EQ(formatted[1], "test.yaml:4:13: listen: port 99999 out of range in '127.0.0.1:99999': expected 1..65535");
  EXPECT_EQ(formatted[2], "test.yaml:8:18: forward: no target group named 'missing'");
  EXPECT_EQ(formatted[3], "test.yaml:12:5: unknown key 'algoritm' in target group; did you mean 'algorithm'?");
  EXPECT_EQ(formatted[4],
            "test.yaml:13:31: interval: bad duration '5x': expected a number with a unit ms, s, m, h "
            "or d (e.g. 500ms, 5s, 1m, 1h, 7d)");
  EXPECT_EQ(formatted[5], "test.yaml:15:44: weight: 5000 is out of range (0..1000)");
}

}  // namespace config_errors_test
}  // namespace fulcrum::config
