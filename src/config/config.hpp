#pragma once
// The typed, validated configuration: what the YAML file says, with every default applied.
// Built by load_config_file() (config_loader.hpp); immutable once built. Spellings of keys follow
// tests/unit/config/reference_config.yaml; docs/configuration.md documents each field.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "balance/algorithm.hpp"
#include "core/endpoint.hpp"
#include "core/geoip_database.hpp"

namespace fulcrum::config {

using Duration = std::chrono::milliseconds;

enum class ListenerProtocol { tcp, udp, tls, http, https };
// The listeners that parse requests (rules, WAF, stickiness apply) rather than relay bytes.
constexpr bool is_http(ListenerProtocol protocol) {
  return protocol == ListenerProtocol::http || protocol == ListenerProtocol::https;
}
enum class TargetProtocol { tcp, http, https, tls };  // how Fulcrum talks to the targets
// The one algorithm enum: the pickers' own (balance/algorithm.hpp), read from `algorithm:`.
using Algorithm = balance::Algorithm;
enum class HashKeyKind { source_ip, header, cookie, uri };
enum class HealthProtocol { tcp, http, https, agent, udp };
enum class ProxyProtocolVersion { none, v1, v2 };
enum class StickinessType { none, lb_cookie, app_cookie };
enum class TlsPolicy { modern, intermediate, legacy };
enum class DesyncMode { monitor, defensive, strictest };
// ELB's words: an internet-facing listener serves every client; an internal one only clients
// from private networks (core/private_network.hpp), refused at accept otherwise.
enum class ListenerScheme { internet_facing, internal };

const char* to_string(ListenerProtocol);
const char* to_string(TargetProtocol);
const char* to_string(Algorithm);
const char* to_string(HealthProtocol);
const char* to_string(ListenerScheme);

struct HashKey {
  HashKeyKind kind = HashKeyKind::source_ip;
  std::string name;  // header or cookie name for header:NAME / cookie:NAME
};

struct HealthCheck {
  bool enabled = false;  // false when the group has no health_check section
  HealthProtocol protocol = HealthProtocol::tcp;
  std::optional<uint16_t> port;  // default: the target's traffic port
  std::string path = "/";
  std::string host;  // Host header for http(s); default: the target address
  std::string matcher = "200-399";
  Duration interval{5000};
  Duration timeout{2000};
  uint32_t healthy_threshold = 2;
  uint32_t unhealthy_threshold = 3;
  std::optional<uint16_t> agent_port;  // protocol agent, or an agent beside another protocol
  // protocol udp: the datagram sent, and bytes the reply must contain (empty: any reply).
  std::string send;
  std::string expect;
};

// Passive detection on real traffic (Envoy's outlier detection).
struct OutlierDetection {
  bool enabled = true;
  uint32_t consecutive_failures = 5;
  bool count_5xx = true;
  Duration base_ejection_time{30000};
  uint32_t max_ejection_percent = 50;
};

struct Stickiness {
  StickinessType type = StickinessType::none;
  Duration duration{24LL * 3600 * 1000};  // lb_cookie lifetime
  std::string cookie;                     // app_cookie: the application's cookie name
  std::string lb_cookie_name = "FULCRUM";
  std::string secret_file;  // lb_cookie HMAC key shared by instances; empty: random per process
};

struct TargetConfig {
  std::string address_text;  // as written, e.g. "10.0.1.10:8080"
  core::Endpoint address;
  uint32_t weight = 1;  // 0..1000; 0 takes no new traffic
  std::string zone;     // optional zone/site label
  // Set by an operator through the admin API (upstream/operator_overrides.hpp), never by the
  // file: no new traffic, open connections finish.
  bool operator_drain = false;
  // Set by DNS discovery (discovery/), never by the file: where the target came from ("" for
  // the file or the admin API, "dns:NAME" or "srv:NAME"), and its SRV priority tier (0 for
  // every other target): only the lowest tier with a healthy target takes traffic.
  std::string origin;
  uint32_t tier = 0;
};

// A target entry that follows a DNS name (docs/design/discovery.md): `dns:` takes every A and
// AAAA address of the name, `srv:` the targets, ports, weights and priorities of its SRV records.
enum class DiscoveryKind { address, srv };
struct DiscoveredTargets {
  DiscoveryKind kind = DiscoveryKind::address;
  std::string name;   // absolute, lower case, no trailing dot
  uint16_t port = 0;  // dns: the port of every address; srv: from the records
  std::optional<uint32_t> weight;  // dns: every address's weight (default 1); srv: scales the records' weights
  std::string zone;
  size_t position = 0;  // where in `targets` the entry stood: earlier definitions win
  std::string origin() const { return (kind == DiscoveryKind::srv ? "srv:" : "dns:") + name; }
};

struct TargetGroupConfig {
  std::string name;
  Algorithm algorithm = Algorithm::weighted_round_robin;
  HashKey hash_key;
  TargetProtocol protocol = TargetProtocol::tcp;
  HealthCheck health_check;
  OutlierDetection outlier_detection;
  Stickiness stickiness;
  Duration slow_start{0};
  Duration deregistration_delay{300000};
  ProxyProtocolVersion proxy_protocol = ProxyProtocolVersion::none;
  Duration connect_timeout{5000};
  uint32_t max_connect_attempts = 3;  // every attempt of one request or connection, the first included
  // HTTP retries (docs/configuration.md § Retries): the share of the group's requests in flight
  // that may be retries at once (at least 3 always may), whether a response timeout before the
  // first byte is retried (idempotent requests only), and the largest request body that is
  // still replayed once some of it was sent.
  uint32_t retry_budget_percent = 20;
  bool retry_on_timeout = false;
  uint64_t retry_body_limit = 64 * 1024;
  bool fail_open = true;
  // HTTP: idle keep-alive connections kept per target by each worker (0: a new connection per
  // request) and how long one may stay idle before it is closed. `auto` keeps every connection
  // handed back, up to kMaxKeepaliveConnections: a worker opens a connection only when none is
  // idle, so its pool never outgrows the concurrency it has seen, and those no longer needed
  // age out by keepalive_timeout (the pool hands out the most recently used first).
  static constexpr uint32_t kKeepaliveAuto = 0xFFFFFFFF;
  static constexpr uint32_t kMaxKeepaliveConnections = 10000;
  uint32_t keepalive_connections = kKeepaliveAuto;
  Duration keepalive_timeout{60000};
  // TLS toward targets (protocol https or tls)
  bool verify = true;
  std::string ca_file;
  std::string server_name;
  std::vector<TargetConfig> targets;
  std::vector<DiscoveredTargets> discovered;  // dns: and srv: entries, resolved by the discovery room
};

struct WeightedGroup {
  std::string group;
  uint32_t weight = 1;
};

struct Redirect {
  uint32_t status = 301;
  std::string scheme;  // empty: keep the request's
  std::string host;
  std::string port;
  std::string path;
  std::string query;
};

struct FixedResponse {
  uint32_t status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

struct Action {
  enum class Kind { forward, redirect, fixed_response } kind = Kind::forward;
  std::vector<WeightedGroup> forward;  // one group, or several with weights (canary split)
  Redirect redirect;
  FixedResponse fixed_response;
};

struct Match {
  std::vector<std::string> host;
  std::vector<std::string> path;
  std::vector<std::string> method;
  std::map<std::string, std::string> header;
  std::map<std::string, std::string> query;
  std::vector<std::string> source;  // CIDRs
  std::map<std::string, std::string> cookie;
  std::vector<std::string> sni;  // tls passthrough listeners
};

struct Rule {
  std::string name;
  Match match;
  Action action;
};

struct Certificate {
  std::string cert;
  std::string key;
};

struct ListenerTls {
  std::vector<Certificate> certificates;
  TlsPolicy policy = TlsPolicy::intermediate;
  // In preference order; default (https): h2, http/1.1 (http/1.1 alone with `http2: false`).
  std::vector<std::string> alpn;
  // Session tickets are sealed with a key replaced this often; the previous key still opens
  // them, so a ticket lives at most twice this (and sessions are cached this long).
  Duration ticket_rotation{3600000};
};

struct RateLimit {
  double requests_per_second = 0;  // 0: off
  uint32_t burst = 0;
};

struct WafRule {
  std::string id;
  std::string pattern;
  std::vector<std::string> targets;  // path, query, header:NAME, body
  enum class ActionKind { block, log } action = ActionKind::block;
  std::string message;
};

struct Security {
  std::vector<std::string> allow;  // CIDRs; empty: everyone
  std::vector<std::string> deny;
  RateLimit rate_limit;
  uint32_t max_connections_per_client = 0;  // 0: unlimited
  double connections_per_second = 0;        // per client; 0: unlimited
  uint32_t min_body_rate = 0;                  // bytes/s a request body must keep up; 0: off (http)
  uint32_t max_connections_awaiting_headers = 0;  // cap on clients still sending headers; 0: unlimited
  bool waf_default_rules = false;
  std::vector<WafRule> waf;
  uint32_t waf_body_bytes = 8 * 1024;  // how much of a request body the WAF inspects
  // IPv6 clients are counted per network of this length (one subscriber usually holds a /64).
  uint32_t ipv6_client_prefix = 64;
};

struct ListenerConfig {
  std::string name;
  std::string listen_text;
  core::Endpoint listen;
  ListenerProtocol protocol = ListenerProtocol::tcp;
  ListenerScheme scheme = ListenerScheme::internet_facing;
  ListenerTls tls;
  std::vector<Rule> rules;
  Action default_action;
  Security security;
  bool accept_proxy_protocol = false;
  Duration idle_timeout{350000};          // tcp: NLB's 350 s; http: keep-alive idle
  Duration client_header_timeout{10000};  // http
  Duration response_timeout{60000};       // http
  DesyncMode desync_mode = DesyncMode::defensive;
  uint32_t max_request_line = 16 * 1024;
  uint32_t max_header_bytes = 64 * 1024;
  uint32_t max_headers = 100;
  uint64_t max_body_bytes = 0;  // 0: unlimited
  bool add_forwarded = false;   // RFC 7239 Forwarded
  bool add_via = false;
  // HTTP/2 toward clients (http: h2c with prior knowledge; https: h2 offered by ALPN).
  bool http2 = true;
  uint32_t max_concurrent_streams = 100;  // per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS)
  // A client that takes no byte of what we send for this long is dropped (slow read), as nginx's
  // send_timeout: HTTP/1.1 and HTTP/2.
  Duration send_timeout{60000};
  uint32_t max_flows = 10000;  // udp: flows remembered at once (split among workers); LRU eviction beyond
};

// The authoritative DNS responder for global balancing (`dns:`), docs/configuration.md § DNS.
enum class DnsPolicy { weighted, failover, nearest };
const char* to_string(DnsPolicy);

struct DnsSite {  // a place that serves: the targets of one group
  std::string name;
  std::string group;
};

struct DnsRegion {  // where clients are, by network or GeoIP, and the sites from nearest to farthest
  std::string name;
  std::vector<std::string> networks;  // CIDRs, matched against EDNS Client Subnet or the resolver
  std::vector<std::string> countries;   // ISO 3166-1 alpha-2, upper case: geoip_file's country.iso_code
  std::vector<std::string> continents;  // AF AN AS EU NA OC SA: geoip_file's continent.code
  std::vector<std::string> sites_by_distance;
};

struct DnsSiteChoice {
  std::string site;
  uint32_t weight = 1;  // weighted policy
};

struct DnsName {
  std::string name;  // lower case, no trailing dot
  DnsPolicy policy = DnsPolicy::weighted;
  std::vector<DnsSiteChoice> sites;  // failover and nearest: in order of preference
  Duration ttl{30000};
  uint32_t max_answers = 8;
};

struct DnsConfig {
  bool enabled = false;  // true when the file has a dns: section
  std::string listen_text;
  core::Endpoint listen;              // UDP and TCP
  std::vector<std::string> zones;     // authoritative for these (lower case); others are REFUSED
  Duration ttl{30000};                // default for names
  uint32_t max_answers = 8;           // default for names
  std::vector<DnsSite> sites;
  std::vector<DnsRegion> regions;
  std::vector<DnsName> names;
  std::string geoip_file;  // a MaxMind DB for regions' countries/continents; "" for none
  // Opened (mmap) once per loaded configuration and only read after that; shared by every
  // snapshot and copy of this configuration, closed with the last.
  std::shared_ptr<const core::GeoIpDatabase> geoip;
};

// How discovery resolves names (`resolver:`, docs/configuration.md § Resolver).
enum class AddressPreference { ipv4, ipv6, both };
const char* to_string(AddressPreference);
struct ResolverConfig {
  std::vector<core::Endpoint> nameservers;  // empty: those of /etc/resolv.conf
  Duration timeout{2000};                   // per query, then the next nameserver
  Duration min_ttl{1000};
  Duration max_ttl{300000};
  Duration hold_valid{300000};  // the last good answer is kept this long when resolution fails
  Duration hold_nx{30000};      // NXDOMAIN or no records: old targets kept this long
  Duration hold_obsolete{0};    // an address missing from one answer stays this long
  AddressPreference prefer = AddressPreference::both;
  bool operator==(const ResolverConfig&) const = default;
};

struct AdminConfig {
  bool enabled = true;
  std::string listen_text = "127.0.0.1:9090";
  core::Endpoint listen;
  std::string token_file;
};

struct Config {
  std::string source_path;  // the file it was read from, for reload and messages
  uint32_t workers = 0;     // 0: auto, one per core
  Duration shutdown_timeout{30000};
  // Started as root: the user (and group; "" = the user's primary group) to switch to once the
  // listeners are bound and the files read (runtime/privileges.hpp). "": stay as started.
  std::string user;
  std::string group;
  AdminConfig admin;
  std::vector<ListenerConfig> listeners;
  std::vector<TargetGroupConfig> target_groups;
  DnsConfig dns;
  ResolverConfig resolver;

  const TargetGroupConfig* find_group(std::string_view name) const;
};

}  // namespace fulcrum::config
