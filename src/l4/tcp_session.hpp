#pragma once
// One client connection on a `protocol: tcp` listener, as a small state machine driven by the
// worker's ReadinessLoop: optional inbound PROXY header, pick and connect a target (retries on
// other targets with the failed ones avoided), outbound PROXY header and early bytes, the
// two-way relay (tcp_relay.hpp), one access-log line. Timeouts come from the worker's
// DeadlineSweeps, not from a timer per connection.
#include <cstddef>

#include "core/endpoint.hpp"
#include "l4/worker_context.hpp"

namespace fulcrum::l4 {

// Takes ownership of `client_fd` (accepted non-blocking). listener_index: into
// snapshot->config->listeners of the worker's current snapshot.
// `ticket`: the client's hold on its per-client limits, released when the session ends.
void start_tcp_session(WorkerContext& context, size_t listener_index, int client_fd, const core::Endpoint& peer,
                       security::ClientTicket ticket = {});

}  // namespace fulcrum::l4
