#pragma once
// The keys each section of the file accepts. Kept as data, in one place, so that unknown keys
// can be told apart from misplaced ones ("'policy' belongs in listeners[].tls") and so that
// docs/configuration.md can be checked against it.
#include <array>
#include <span>
#include <string_view>

namespace fulcrum::config {

struct Section {
  std::string_view name;  // how messages name it: "health_check"
  std::string_view path;  // where it lives in the file: "target_groups[].health_check"
  std::span<const std::string_view> keys;
};

namespace schema {

// One line per section reads better than one line per key.
// clang-format off

inline constexpr std::string_view kTopKeys[] = {"workers", "shutdown_timeout", "user", "group", "admin",
                                                "listeners", "target_groups", "dns", "resolver"};
inline constexpr std::string_view kAdminKeys[] = {"enabled", "listen", "token_file"};
inline constexpr std::string_view kListenerKeys[] = {
    "name", "listen", "protocol", "scheme", "tls", "rules", "default", "security", "accept_proxy_protocol",
    "idle_timeout", "client_header_timeout", "response_timeout", "desync_mode", "max_request_line",
    "max_header_bytes", "max_headers", "max_body_bytes", "add_forwarded", "add_via", "max_flows", "http2",
    "max_concurrent_streams", "send_timeout"};
inline constexpr std::string_view kTlsKeys[] = {"certificates", "policy", "alpn", "ticket_rotation"};
inline constexpr std::string_view kCertificateKeys[] = {"cert", "key"};
inline constexpr std::string_view kRuleKeys[] = {"name", "match", "forward", "redirect", "fixed_response"};
inline constexpr std::string_view kMatchKeys[] = {"host",   "path",   "method", "header",
                                                  "query",  "source", "cookie", "sni"};
inline constexpr std::string_view kDefaultActionKeys[] = {"forward", "redirect", "fixed_response"};
inline constexpr std::string_view kForwardEntryKeys[] = {"group", "weight"};
inline constexpr std::string_view kRedirectKeys[] = {"status", "scheme", "host", "port", "path", "query"};
inline constexpr std::string_view kFixedResponseKeys[] = {"status", "content_type", "body"};
inline constexpr std::string_view kSecurityKeys[] = {
    "allow", "deny", "rate_limit", "max_connections_per_client", "connections_per_second",
    "min_body_rate", "max_connections_awaiting_headers", "waf_default_rules", "waf", "waf_body_bytes",
    "ipv6_client_prefix"};
inline constexpr std::string_view kRateLimitKeys[] = {"requests_per_second", "burst"};
inline constexpr std::string_view kWafRuleKeys[] = {"id", "pattern", "targets", "action", "message"};
inline constexpr std::string_view kTargetGroupKeys[] = {
    "name", "algorithm", "hash_key", "protocol", "health_check", "outlier_detection", "stickiness",
    "slow_start", "deregistration_delay", "proxy_protocol", "connect_timeout", "max_connect_attempts",
    "retry_budget", "retry_on_timeout", "retry_body_limit", "fail_open", "keepalive_connections", "keepalive_timeout", "verify", "ca_file", "server_name",
    "targets"};
inline constexpr std::string_view kHealthCheckKeys[] = {
    "enabled", "protocol", "port", "path", "host", "matcher", "interval", "timeout",
    "healthy_threshold", "unhealthy_threshold", "agent_port", "send", "expect"};
inline constexpr std::string_view kOutlierDetectionKeys[] = {
    "enabled", "consecutive_failures", "count_5xx", "base_ejection_time", "max_ejection_percent"};
inline constexpr std::string_view kStickinessKeys[] = {"type", "duration", "cookie", "secret_file"};
inline constexpr std::string_view kTargetKeys[] = {"address", "dns", "srv", "port", "weight", "zone"};
inline constexpr std::string_view kResolverKeys[] = {"nameservers", "timeout", "min_ttl", "max_ttl", "hold_valid",
                                                     "hold_nx", "hold_obsolete", "prefer"};
inline constexpr std::string_view kDnsKeys[] = {"listen", "zones", "ttl", "max_answers", "sites", "regions", "names",
                                                "geoip_file"};
inline constexpr std::string_view kDnsSiteKeys[] = {"name", "group"};
inline constexpr std::string_view kDnsRegionKeys[] = {"name", "networks", "countries", "continents",
                                                      "sites_by_distance"};
inline constexpr std::string_view kDnsNameKeys[] = {"name", "policy", "sites", "ttl", "max_answers"};
inline constexpr std::string_view kDnsSiteChoiceKeys[] = {"site", "weight"};

inline constexpr Section kTop{"the top level", "(top level)", kTopKeys};
inline constexpr Section kAdmin{"admin", "admin", kAdminKeys};
inline constexpr Section kListener{"listener", "listeners[]", kListenerKeys};
inline constexpr Section kTls{"tls", "listeners[].tls", kTlsKeys};
inline constexpr Section kCertificate{"certificate", "listeners[].tls.certificates[]", kCertificateKeys};
inline constexpr Section kRule{"rule", "listeners[].rules[]", kRuleKeys};
inline constexpr Section kMatch{"match", "listeners[].rules[].match", kMatchKeys};
inline constexpr Section kDefaultAction{"default", "listeners[].default", kDefaultActionKeys};
inline constexpr Section kForwardEntry{"forward entry", "forward[]", kForwardEntryKeys};
inline constexpr Section kRedirect{"redirect", "redirect", kRedirectKeys};
inline constexpr Section kFixedResponse{"fixed_response", "fixed_response", kFixedResponseKeys};
inline constexpr Section kSecurity{"security", "listeners[].security", kSecurityKeys};
inline constexpr Section kRateLimit{"rate_limit", "listeners[].security.rate_limit", kRateLimitKeys};
inline constexpr Section kWafRule{"waf rule", "listeners[].security.waf[]", kWafRuleKeys};
inline constexpr Section kTargetGroup{"target group", "target_groups[]", kTargetGroupKeys};
inline constexpr Section kHealthCheck{"health_check", "target_groups[].health_check", kHealthCheckKeys};
inline constexpr Section kOutlierDetection{"outlier_detection", "target_groups[].outlier_detection",
                                           kOutlierDetectionKeys};
inline constexpr Section kStickiness{"stickiness", "target_groups[].stickiness", kStickinessKeys};
inline constexpr Section kTarget{"target", "target_groups[].targets[]", kTargetKeys};
inline constexpr Section kResolver{"resolver", "resolver", kResolverKeys};
inline constexpr Section kDns{"dns", "dns", kDnsKeys};
inline constexpr Section kDnsSite{"dns site", "dns.sites[]", kDnsSiteKeys};
inline constexpr Section kDnsRegion{"dns region", "dns.regions[]", kDnsRegionKeys};
inline constexpr Section kDnsName{"dns name", "dns.names[]", kDnsNameKeys};
inline constexpr Section kDnsSiteChoice{"site choice", "dns.names[].sites[]", kDnsSiteChoiceKeys};

inline constexpr std::array<const Section*, 25> kAll{
    &kTop,      &kAdmin,         &kListener,     &kTls,           &kCertificate,
    &kRule,     &kMatch,         &kDefaultAction, &kForwardEntry, &kRedirect,
    &kFixedResponse, &kSecurity, &kRateLimit,    &kWafRule,       &kTargetGroup,
    &kHealthCheck, &kOutlierDetection, &kStickiness, &kTarget,    &kResolver,
    &kDns,      &kDnsSite,       &kDnsRegion,    &kDnsName,       &kDnsSiteChoice};

// clang-format on

}  // namespace schema
}  // namespace fulcrum::config
