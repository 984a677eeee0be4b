// What a valid file turns into: defaults where keys are absent, and each accepted spelling
// (scalar or list, name or weighted list) read into the typed Config.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace fulcrum::config {
namespace config_values_test {

using namespace std::chrono_literals;
using testing::all_errors;
using testing::load;
using testing::load_ok;

TEST(ConfigValues, DefaultsApplyWhenKeysAreAbsent) {
  Config config = load_ok(R"(listeners:
  - name: db
    listen: 127.0.0.1:5432
    default: { forward: db }
target_groups:
  - name: db
    targets: [ { address: 127.0.0.1:5433 } ]
)");
  EXPECT_EQ(config.source_path, "test.yaml");
  EXPECT_EQ(config.workers, 0u);
  EXPECT_EQ(config.shutdown_timeout, 30s);
  EXPECT_TRUE(config.admin.enabled);
  EXPECT_EQ(config.admin.listen_text, "127.0.0.1:9090");
  EXPECT_EQ(config.admin.listen.to_string(), "127.0.0.1:9090");
  EXPECT_TRUE(config.admin.token_file.empty());

  ASSERT_EQ(config.listeners.size(), 1u);
  const ListenerConfig& listener = config.listeners[0];
  EXPECT_EQ(listener.name, "db");
  EXPECT_EQ(listener.listen_text, "127.0.0.1:5432");
  EXPECT_EQ(listener.listen.port(), 5432);
  EXPECT_EQ(listener.protocol, ListenerProtocol::tcp);
  EXPECT_TRUE(listener.rules.empty());
  EXPECT_EQ(listener.default_action.kind, Action::Kind::forward);
  ASSERT_EQ(listener.default_action.forward.size(), 1u);
  EXPECT_EQ(listener.default_action.forward[0].group, "db");
  EXPECT_EQ(listener.default_action.forward[0].weight, 1u);
  EXPECT_FALSE(listener.accept_proxy_protocol);
  EXPECT_EQ(listener.idle_timeout, 350s);
  EXPECT_EQ(listener.client_header_timeout, 10s);
  EXPECT_EQ(listener.response_timeout, 60s);
  EXPECT_EQ(listener.desync_mode, DesyncMode::defensive);
  EXPECT_EQ(listener.max_request_line, 16u * 1024);
  EXPECT_EQ(listener.max_header_bytes, 64u * 1024);
  EXPECT_EQ(listener.max_headers, 100u);
  EXPECT_EQ(listener.max_body_bytes, 0u);
  EXPECT_TRUE(listener.security.allow.empty());
  EXPECT_EQ(listener.security.rate_limit.requests_per_second, 0);
  EXPECT_EQ(listener.security.max_connections_per_client, 0u);
  EXPECT_EQ(listener.security.waf_body_bytes, 8u * 1024);
  EXPECT_EQ(listener.security.ipv6_client_prefix, 64u);

  ASSERT_EQ(config.target_groups.size(), 1u);
  const TargetGroupConfig& group = config.target_groups[0];
  EXPECT_EQ(group.algorithm, Algorithm::weighted_round_robin);
  EXPECT_EQ(group.hash_key.kind, HashKeyKind::source_ip);
  EXPECT_EQ(group.protocol, TargetProtocol::tcp);
  EXPECT_FALSE(group.health_check.enabled);
  EXPECT_TRUE(group.outlier_detection.enabled);
  EXPECT_EQ(group.outlier_detection.consecutive_failures, 5u);
  EXPECT_EQ(group.outlier_detection.base_ejection_time, 30s);
  EXPECT_EQ(group.outlier_detection.max_ejection_percent, 50u);
  EXPECT_EQ(group.stickiness.type, StickinessType::none);
  EXPECT_EQ(group.slow_start, 0s);
  EXPECT_EQ(group.deregistration_delay, 300s);
  EXPECT_EQ(group.proxy_protocol, ProxyProtocolVersion::none);
  EXPECT_EQ(group.connect_timeout, 5s);
  EXPECT_EQ(group.max_connect_attempts, 3u);
  EXPECT_TRUE(group.fail_open);
  EXPECT_EQ(group.keepalive_connections, TargetGroupConfig::kKeepaliveAuto);
  EXPECT_EQ(group.keepalive_timeout, 60s);
  ASSERT_EQ(group.targets.size(), 1u);
  EXPECT_EQ(group.targets[0].address_text, "127.0.0.1:5433");
  EXPECT_EQ(group.targets[0].address.to_string(), "127.0.0.1:5433");
  EXPECT_EQ(group.targets[0].weight, 1u);
}

TEST(ConfigValues, KeepaliveConnectionsIsAutoOrACap) {
  const std::string head = testing::http_group_ending_in("keepalive_connections");
  EXPECT_EQ(load_ok(head + "auto\n").target_groups.at(0).keepalive_connections, TargetGroupConfig::kKeepaliveAuto);
  EXPECT_EQ(load_ok(head + "0\n").target_groups.at(0).keepalive_connections, 0u);
  EXPECT_EQ(load_ok(head + "10000\n").target_groups.at(0).keepalive_connections, 10000u);
}

TEST(ConfigValues, HealthCheckDefaultsApplyWhenTheSectionIsPresent) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { protocol: http }
)");
  const HealthCheck& check = config.target_groups.at(0).health_check;
  EXPECT_TRUE(check.enabled);
  EXPECT_EQ(check.protocol, HealthProtocol::http);
  EXPECT_EQ(check.path, "/");
  EXPECT_EQ(check.matcher, "200-399");
  EXPECT_EQ(check.interval, 5s);
  EXPECT_EQ(check.timeout, 2s);
  EXPECT_EQ(check.healthy_threshold, 2u);
  EXPECT_EQ(check.unhealthy_threshold, 3u);
  EXPECT_FALSE(check.port.has_value());
}

TEST(ConfigValues, ShortHealthIntervalGetsHalfOfItAsTimeout) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    health_check: { interval: 1s }
)");
  EXPECT_EQ(config.target_groups.at(0).health_check.timeout, 500ms);
}

TEST(ConfigValues, UdpListenersDefaultToAShorterIdleTimeout) {
  Config config = load_ok(R"(listeners:
  - name: dns
    listen: 127.0.0.1:5353
    protocol: udp
    default: { forward: dns }
target_groups:
  - name: dns
)");
  EXPECT_EQ(config.listeners.at(0).idle_timeout, 30s);
  EXPECT_EQ(config.listeners.at(0).max_flows, 10000u);
}

TEST(ConfigValues, UdpMaxFlows) {
  Config config = load_ok(R"(listeners:
  - name: dns
    listen: 127.0.0.1:5353
    protocol: udp
    max_flows: 250000
    default: { forward: dns }
target_groups:
  - name: dns
)");
  EXPECT_EQ(config.listeners.at(0).max_flows, 250000u);
}

TEST(ConfigValues, ReferenceConfigurationValues) {
  LoadResult result = load_config_file(FULCRUM_SOURCE_DIR "/tests/unit/config/reference_config.yaml");
  ASSERT_TRUE(result.config) << all_errors(result);
  const Config& config = *result.config;
  EXPECT_EQ(config.admin.token_file, "/etc/fulcrum/admin.token");

  const ListenerConfig& web = config.listeners.at(0);
  EXPECT_EQ(web.protocol, ListenerProtocol::https);
  ASSERT_EQ(web.tls.certificates.size(), 2u);
  EXPECT_EQ(web.tls.certificates[1].cert, "/etc/fulcrum/api.pem");
  EXPECT_EQ(web.tls.certificates[1].key, "/etc/fulcrum/api.key");
  EXPECT_EQ(web.tls.policy, TlsPolicy::modern);
  ASSERT_EQ(web.rules.size(), 3u);

  const Rule& api = web.rules[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.match.host, std::vector<std::string>{"api.example.com"});
  EXPECT_EQ(api.match.path, std::vector<std::string>{"/v1/*"});
  EXPECT_EQ(api.match.method, (std::vector<std::string>{"GET", "POST"}));
  EXPECT_EQ(api.match.header.at("X-Canary"), "1");
  EXPECT_EQ(api.match.query.at("debug"), "true");
  EXPECT_EQ(api.match.source, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(api.match.cookie.at("beta"), "yes");
  EXPECT_EQ(api.action.kind, Action::Kind::forward);
  ASSERT_EQ(api.action.forward.size(), 1u);
  EXPECT_EQ(api.action.forward[0].group, "api");

  const Rule& old_site = web.rules[1];
  EXPECT_EQ(old_site.action.kind, Action::Kind::redirect);
  EXPECT_EQ(old_site.action.redirect.status, 301u);
  EXPECT_EQ(old_site.action.redirect.scheme, "https");
  EXPECT_EQ(old_site.action.redirect.host, "www.example.com");

  const Rule& healthz = web.rules[2];
  EXPECT_EQ(healthz.name, "#3");  // unnamed rules are named by position
  EXPECT_EQ(healthz.action.kind, Action::Kind::fixed_response);
  EXPECT_EQ(healthz.action.fixed_response.status, 200u);
  EXPECT_EQ(healthz.action.fixed_response.content_type, "text/plain");
  EXPECT_EQ(healthz.action.fixed_response.body, "ok\n");

  ASSERT_EQ(web.default_action.forward.size(), 2u);
  EXPECT_EQ(web.default_action.forward[0].group, "web");
  EXPECT_EQ(web.default_action.forward[0].weight, 90u);
  EXPECT_EQ(web.default_action.forward[1].group, "canary");
  EXPECT_EQ(web.default_action.forward[1].weight, 10u);
  EXPECT_EQ(web.security.allow, std::vector<std::string>{"0.0.0.0/0"});
  EXPECT_EQ(web.security.deny, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_EQ(web.security.rate_limit.requests_per_second, 100);
  EXPECT_EQ(web.security.rate_limit.burst, 200u);
  EXPECT_EQ(web.security.max_connections_per_client, 256u);

  const TargetGroupConfig* api_group = config.find_group("api");
  ASSERT_NE(api_group, nullptr);
  EXPECT_EQ(api_group->algorithm, Algorithm::least_response_time);
  EXPECT_EQ(api_group->hash_key.kind, HashKeyKind::source_ip);
  EXPECT_TRUE(api_group->health_check.enabled);
  EXPECT_EQ(api_group->health_check.protocol, HealthProtocol::http);
  EXPECT_EQ(api_group->health_check.path, "/health");
  EXPECT_EQ(api_group->health_check.matcher, "200-299");
  EXPECT_EQ(api_group->stickiness.type, StickinessType::lb_cookie);
  EXPECT_EQ(api_group->stickiness.duration, 1h);
  EXPECT_EQ(api_group->slow_start, 30s);
  EXPECT_EQ(api_group->deregistration_delay, 30s);
  ASSERT_EQ(api_group->targets.size(), 2u);
  EXPECT_EQ(api_group->targets[0].weight, 5u);
  EXPECT_EQ(api_group->targets[1].weight, 2u);

  const TargetGroupConfig* postgres = config.find_group("postgres");
  ASSERT_NE(postgres, nullptr);
  EXPECT_EQ(postgres->proxy_protocol, ProxyProtocolVersion::v2);
  EXPECT_EQ(postgres->health_check.interval, 10s);
  EXPECT_EQ(postgres->health_check.protocol, HealthProtocol::tcp);
}

TEST(ConfigValues, ConditionsAcceptAScalarOrAList) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - match: { host: a.example.com, path: /a, method: GET, source: 10.0.0.0/8 }
        forward: web
      - match:
          host: [b.example.com, "*.c.example.com"]
          path: [/b, /c/*]
          method: [GET, HEAD]
          source: [10.0.0.0/8, "2001:db8::/32", 192.0.2.1]
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)");
  const auto& rules = config.listeners.at(0).rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].match.host, std::vector<std::string>{"a.example.com"});
  EXPECT_EQ(rules[0].match.method, std::vector<std::string>{"GET"});
  EXPECT_EQ(rules[0].match.source, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(rules[1].match.host, (std::vector<std::string>{"b.example.com", "*.c.example.com"}));
  EXPECT_EQ(rules[1].match.path, (std::vector<std::string>{"/b", "/c/*"}));
  EXPECT_EQ(rules[1].match.source, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32", "192.0.2.1"}));
}

TEST(ConfigValues, ForwardAcceptsANameAListOfNamesOrWeightedGroups) {
  Config config = load_ok(R"(listeners:
  - name: a
    listen: 127.0.0.1:8080
    default: { forward: blue }
  - name: b
    listen: 127.0.0.1:8081
    default: { forward: [blue, green] }
  - name: c
    listen: 127.0.0.1:8082
    default:
      forward:
        - { group: blue, weight: 3 }
        - { group: green }
target_groups:
  - name: blue
  - name: green
)");
  const auto& listeners = config.listeners;
  ASSERT_EQ(listeners.size(), 3u);
  ASSERT_EQ(listeners[0].default_action.forward.size(), 1u);
  ASSERT_EQ(listeners[1].default_action.forward.size(), 2u);
  EXPECT_EQ(listeners[1].default_action.forward[1].group, "green");
  EXPECT_EQ(listeners[1].default_action.forward[1].weight, 1u);
  ASSERT_EQ(listeners[2].default_action.forward.size(), 2u);
  EXPECT_EQ(listeners[2].default_action.forward[0].weight, 3u);
  EXPECT_EQ(listeners[2].default_action.forward[1].weight, 1u);
}

TEST(ConfigValues, HeaderQueryAndCookieMaps) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    rules:
      - match:
          header: { X-Canary: "1", User-Agent: curl }
          query: { debug: "true" }
          cookie: { beta: "yes" }
        forward: web
    default: { forward: web }
target_groups:
  - name: web
)");
  const Match& match = config.listeners.at(0).rules.at(0).match;
  EXPECT_EQ(match.header.size(), 2u);
  EXPECT_EQ(match.header.at("User-Agent"), "curl");
  EXPECT_EQ(match.query.at("debug"), "true");
  EXPECT_EQ(match.cookie.at("beta"), "yes");
}

TEST(ConfigValues, DurationsSizesAndWorkers) {
  Config config = load_ok(R"(workers: 4
shutdown_timeout: 1m30s
listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    idle_timeout: 500ms
    max_body_bytes: 10MiB
    max_header_bytes: 32KiB
    default: { forward: web }
target_groups:
  - name: web
    deregistration_delay: 0
    stickiness: { type: lb_cookie, duration: 7d, cookie: SRV, secret_file: /etc/fulcrum/sticky.key }
)");
  EXPECT_EQ(config.workers, 4u);
  EXPECT_EQ(config.shutdown_timeout, 90s);
  EXPECT_EQ(config.listeners.at(0).idle_timeout, 500ms);
  EXPECT_EQ(config.listeners.at(0).max_body_bytes, 10u * 1024 * 1024);
  EXPECT_EQ(config.listeners.at(0).max_header_bytes, 32u * 1024);
  const TargetGroupConfig& group = config.target_groups.at(0);
  EXPECT_EQ(group.deregistration_delay, 0s);
  EXPECT_EQ(group.stickiness.duration, std::chrono::hours(24 * 7));
  EXPECT_EQ(group.stickiness.lb_cookie_name, "SRV");
  EXPECT_EQ(group.stickiness.secret_file, "/etc/fulcrum/sticky.key");
}

TEST(ConfigValues, HashKeysAndAppCookie) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: [a, b, c] }
target_groups:
  - name: a
    algorithm: ip_hash
    hash_key: header:X-User
  - name: b
    algorithm: ip_hash
    hash_key: cookie:session
    stickiness: { type: app_cookie, cookie: JSESSIONID }
  - name: c
    algorithm: ip_hash
    hash_key: uri
)");
  EXPECT_EQ(config.target_groups[0].hash_key.kind, HashKeyKind::header);
  EXPECT_EQ(config.target_groups[0].hash_key.name, "X-User");
  EXPECT_EQ(config.target_groups[1].hash_key.kind, HashKeyKind::cookie);
  EXPECT_EQ(config.target_groups[1].hash_key.name, "session");
  EXPECT_EQ(config.target_groups[1].stickiness.type, StickinessType::app_cookie);
  EXPECT_EQ(config.target_groups[1].stickiness.cookie, "JSESSIONID");
  EXPECT_EQ(config.target_groups[2].hash_key.kind, HashKeyKind::uri);
}

TEST(ConfigValues, SecurityAndWaf) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    security:
      allow: [10.0.0.0/8, "::1"]
      rate_limit: { requests_per_second: 2.5 }
      connections_per_second: 10
      min_body_rate: 1KiB
      max_connections_awaiting_headers: 1000
      waf_default_rules: true
      waf_body_bytes: 16KiB
      ipv6_client_prefix: 56
      waf:
        - id: traversal
          pattern: '\.\./'
          message: path traversal
        - { id: ua, pattern: "(?i)sqlmap", targets: "header:User-Agent", action: log }
    default: { forward: web }
target_groups:
  - name: web
)");
  const Security& security = config.listeners.at(0).security;
  EXPECT_EQ(security.allow, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(security.rate_limit.requests_per_second, 2.5);
  EXPECT_EQ(security.rate_limit.burst, 3u);  // one second's worth, rounded up
  EXPECT_EQ(security.connections_per_second, 10);
  EXPECT_EQ(security.min_body_rate, 1024u);
  EXPECT_EQ(security.max_connections_awaiting_headers, 1000u);
  EXPECT_TRUE(security.waf_default_rules);
  EXPECT_EQ(security.waf_body_bytes, 16u * 1024);
  EXPECT_EQ(security.ipv6_client_prefix, 56u);
  ASSERT_EQ(security.waf.size(), 2u);
  EXPECT_EQ(security.waf[0].id, "traversal");
  EXPECT_EQ(security.waf[0].pattern, "\\.\\./");
  EXPECT_EQ(security.waf[0].targets, (std::vector<std::string>{"path", "query"}));
  EXPECT_EQ(security.waf[0].action, WafRule::ActionKind::block);
  EXPECT_EQ(security.waf[0].message, "path traversal");
  EXPECT_EQ(security.waf[1].targets, std::vector<std::string>{"header:User-Agent"});
  EXPECT_EQ(security.waf[1].action, WafRule::ActionKind::log);
}

TEST(ConfigValues, TlsPassthroughWithSniRules) {
  Config config = load_ok(R"(listeners:
  - name: pass
    listen: 127.0.0.1:8443
    protocol: tls
    rules:
      - match: { sni: [mail.example.com, "*.internal.example.com"] }
        forward: mail
    default: { forward: mail }
target_groups:
  - name: mail
)");
  const Rule& rule = config.listeners.at(0).rules.at(0);
  EXPECT_EQ(rule.match.sni, (std::vector<std::string>{"mail.example.com", "*.internal.example.com"}));
}

TEST(ConfigValues, RedirectWithPlaceholders) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    protocol: http
    default:
      redirect: { status: 308, scheme: https, port: 8443, path: "/new#{path}", query: "#{query}" }
target_groups: []
)");
  const Redirect& redirect = config.listeners.at(0).default_action.redirect;
  EXPECT_EQ(config.listeners.at(0).default_action.kind, Action::Kind::redirect);
  EXPECT_EQ(redirect.status, 308u);
  EXPECT_EQ(redirect.port, "8443");
  EXPECT_EQ(redirect.path, "/new#{path}");
  EXPECT_EQ(redirect.query, "#{query}");
}

TEST(ConfigValues, TargetsMayBeWrittenAsBareAddresses) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: 127.0.0.1:8080
    default: { forward: web }
target_groups:
  - name: web
    targets: [127.0.0.1:9001, { address: 127.0.0.1:9002, weight: 3 }]
)");
  const auto& targets = config.target_groups.at(0).targets;
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].address_text, "127.0.0.1:9001");
  EXPECT_EQ(targets[0].weight, 1u);
  EXPECT_EQ(targets[1].weight, 3u);
}

TEST(ConfigValues, Ipv6Addresses) {
  Config config = load_ok(R"(listeners:
  - name: web
    listen: "[::1]:8080"
    default: { forward: web }
target_groups:
  - name: web
    targets: [ { address: "[::1]:9001", zone: a } ]
)");
  EXPECT_EQ(config.listeners.at(0).listen.family(), AF_INET6);
  EXPECT_EQ(config.target_groups.at(0).targets.at(0).address.to_string(), "[::1]:9001");
  EXPECT_EQ(config.target_groups.at(0).targets.at(0).zone, "a");
}

TEST(ConfigValues, Http2KeysAndTheAlpnTheyImply) {
  Config config = load_ok(R"(listeners:
  - name: plain
    listen: 127.0.0.1:8080
    protocol: http
    default: { forward: web }
  - name: secure
    listen: 127.0.0.1:8443
    protocol: https
    tls: { certificates: [ { cert: a.pem, key: a.key } ] }
    max_concurrent_streams: 7
    send_timeout: 5s
    default: { forward: web }
  - name: old
    listen: 127.0.0.1:8444
    protocol: https
    http2: false
    tls: { certificates: [ { cert: a.pem, key: a.key } ] }
    default: { forward: web }
  - name: chosen
    listen: 127.0.0.1:8445
    protocol: https
    tls: { certificates: [ { cert: a.pem, key: a.key } ], alpn: [ "http/1.1", h2 ] }
    default: { forward: web }
target_groups:
  - name: web
    targets: [ { address: 127.0.0.1:9000 } ]
)");
  ASSERT_EQ(config.listeners.size(), 4u);
  EXPECT_TRUE(config.listeners[0].http2);
  EXPECT_EQ(config.listeners[0].max_concurrent_streams, 100u);
  EXPECT_EQ(config.listeners[0].send_timeout, 60s);
  EXPECT_EQ(config.listeners[1].max_concurrent_streams, 7u);
  EXPECT_EQ(config.listeners[1].send_timeout, 5s);
  EXPECT_EQ(config.listeners[1].tls.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_FALSE(config.listeners[2].http2);
  EXPECT_EQ(config.listeners[2].tls.alpn, (std::vector<std::string>{"http/1.1"}));
  EXPECT_EQ(config.listeners[3].tls.alpn, (std::vector<std::string>{"http/1.1", "h2"}));
}

}  // namespace config_values_test
}  // namespace fulcrum::config
