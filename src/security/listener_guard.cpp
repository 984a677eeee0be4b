#include "security/listener_guard.hpp"

#include <functional>

namespace fulcrum::security {

ListenerGuard::ListenerGuard(const config::ListenerConfig& listener)
    : name(listener.name),
      access(listener.security.allow, listener.security.deny),
      seed(std::hash<std::string>{}(listener.name)),
      max_connections_per_client(listener.security.max_connections_per_client),
      ipv6_client_prefix(listener.security.ipv6_client_prefix),
      // A second's worth of connections may come at once.
      connection_rate(RateShape::per_second(listener.security.connections_per_second,
                                            static_cast<uint32_t>(listener.security.connections_per_second + 0.999))),
      request_rate(RateShape::per_second(listener.security.rate_limit.requests_per_second,
                                         listener.security.rate_limit.burst)),
      after_proxy_header(listener.accept_proxy_protocol),
      internal(listener.scheme == config::ListenerScheme::internal),
      connections_are_requests(listener.protocol != config::ListenerProtocol::http &&
                               listener.protocol != config::ListenerProtocol::https),
      max_awaiting_headers(connections_are_requests ? 0 : listener.security.max_connections_awaiting_headers) {}

}  // namespace fulcrum::security
