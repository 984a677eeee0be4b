#pragma once
// The spellings users write for each enumeration, in the order the docs list them.
#include <span>
#include <string_view>

#include "config/config.hpp"

namespace fulcrum::config {

template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

namespace names {

inline constexpr EnumName<ListenerProtocol> kListenerProtocol[] = {{"tcp", ListenerProtocol::tcp},
                                                                   {"udp", ListenerProtocol::udp},
                                                                   {"tls", ListenerProtocol::tls},
                                                                   {"http", ListenerProtocol::http},
                                                                   {"https", ListenerProtocol::https}};
inline constexpr EnumName<ListenerScheme> kListenerScheme[] = {{"internet-facing", ListenerScheme::internet_facing},
                                                               {"internal", ListenerScheme::internal}};
inline constexpr EnumName<TargetProtocol> kTargetProtocol[] = {{"tcp", TargetProtocol::tcp},
                                                               {"http", TargetProtocol::http},
                                                               {"https", TargetProtocol::https},
                                                               {"tls", TargetProtocol::tls}};
inline constexpr EnumName<Algorithm> kAlgorithm[] = {
    {"round_robin", Algorithm::round_robin},
    {"weighted_round_robin", Algorithm::weighted_round_robin},
    {"ip_hash", Algorithm::ip_hash},
    {"least_connections", Algorithm::least_connections},
    {"weighted_least_connections", Algorithm::weighted_least_connections},
    {"least_response_time", Algorithm::least_response_time},
    {"resource_based", Algorithm::resource_based},
    {"random_two_choices", Algorithm::random_two_choices}};
inline constexpr EnumName<DnsPolicy> kDnsPolicy[] = {
    {"weighted", DnsPolicy::weighted}, {"failover", DnsPolicy::failover}, {"nearest", DnsPolicy::nearest}};
inline constexpr EnumName<AddressPreference> kAddressPreference[] = {
    {"ipv4", AddressPreference::ipv4}, {"ipv6", AddressPreference::ipv6}, {"both", AddressPreference::both}};
inline constexpr EnumName<HealthProtocol> kHealthProtocol[] = {{"tcp", HealthProtocol::tcp},
                                                               {"http", HealthProtocol::http},
                                                               {"https", HealthProtocol::https},
                                                               {"agent", HealthProtocol::agent},
                                                               {"udp", HealthProtocol::udp}};
// "none" is accepted so that a group can say explicitly that it sends no PROXY header.
inline constexpr EnumName<ProxyProtocolVersion> kProxyProtocol[] = {
    {"v1", ProxyProtocolVersion::v1}, {"v2", ProxyProtocolVersion::v2}, {"none", ProxyProtocolVersion::none}};
inline constexpr EnumName<StickinessType> kStickinessType[] = {{"lb_cookie", StickinessType::lb_cookie},
                                                               {"app_cookie", StickinessType::app_cookie},
                                                               {"none", StickinessType::none}};
inline constexpr EnumName<TlsPolicy> kTlsPolicy[] = {
    {"modern", TlsPolicy::modern}, {"intermediate", TlsPolicy::intermediate}, {"legacy", TlsPolicy::legacy}};
inline constexpr EnumName<DesyncMode> kDesyncMode[] = {
    {"monitor", DesyncMode::monitor}, {"defensive", DesyncMode::defensive}, {"strictest", DesyncMode::strictest}};
inline constexpr EnumName<WafRule::ActionKind> kWafAction[] = {{"block", WafRule::ActionKind::block},
                                                               {"log", WafRule::ActionKind::log}};

}  // namespace names
}  // namespace fulcrum::config
