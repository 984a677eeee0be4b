#include "config/config.hpp"

namespace fulcrum::config {

const char* to_string(ListenerProtocol p) {
  switch (p) {
    case ListenerProtocol::tcp: return "tcp";
    case ListenerProtocol::udp: return "udp";
    case ListenerProtocol::tls: return "tls";
    case ListenerProtocol::http: return "http";
    case ListenerProtocol::https: return "https";
  }
  return "?";
}

const char* to_string(ListenerScheme s) {
  return s == ListenerScheme::internal ? "internal" : "internet-facing";
}

const char* to_string(TargetProtocol p) {
  switch (p) {
    case TargetProtocol::tcp: return "tcp";
    case TargetProtocol::http: return "http";
    case TargetProtocol::https: return "https";
    case TargetProtocol::tls: return "tls";
  }
  return "?";
}

const char* to_string(Algorithm a) {
  switch (a) {
    case Algorithm::round_robin: return "round_robin";
    case Algorithm::weighted_round_robin: return "weighted_round_robin";
    case Algorithm::ip_hash: return "ip_hash";
    case Algorithm::least_connections: return "least_connections";
    case Algorithm::weighted_least_connections: return "weighted_least_connections";
    case Algorithm::least_response_time: return "least_response_time";
    case Algorithm::resource_based: return "resource_based";
    case Algorithm::random_two_choices: return "random_two_choices";
  }
  return "?";
}

const char* to_string(DnsPolicy p) {
  switch (p) {
    case DnsPolicy::weighted: return "weighted";
    case DnsPolicy::failover: return "failover";
    case DnsPolicy::nearest: return "nearest";
  }
  return "?";
}

const char* to_string(AddressPreference p) {
  switch (p) {
    case AddressPreference::ipv4: return "ipv4";
    case AddressPreference::ipv6: return "ipv6";
    case AddressPreference::both: return "both";
  }
  return "?";
}

const char* to_string(HealthProtocol p) {
  switch (p) {
    case HealthProtocol::tcp: return "tcp";
    case HealthProtocol::http: return "http";
    case HealthProtocol::https: return "https";
    case HealthProtocol::agent: return "agent";
    case HealthProtocol::udp: return "udp";
  }
  return "?";
}

const TargetGroupConfig* Config::find_group(std::string_view name) const {
  for (const auto& group : target_groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

}  // namespace fulcrum::config
