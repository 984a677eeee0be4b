#pragma once
// Opening a connection to a target: TCP, then TLS for an https group, both within the group's
// connect_timeout (the handshake is part of connecting: same timeout, same retries).
#include <asio/awaitable.hpp>
#include <asio/error_code.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/buffer_pool.hpp"
#include "core/endpoint.hpp"
#include "http/stream/deadline_watch.hpp"
#include "http/stream/socket_stream.hpp"
#include "http/target/target_connector.hpp"
#include "tls/client_context.hpp"

namespace fulcrum::http {

struct TargetDial {
  const core::Endpoint* address = nullptr;
  bool https = false;  // the group's protocol: TLS after TCP
  // The group's TLS client context (null for an https group whose CA file could not be read:
  // never plaintext to a target that expects TLS) and the name sent as SNI.
  const std::shared_ptr<const tls::ClientContext>* tls = nullptr;
  std::string_view server_name;
  int64_t timeout_ms = 0;
};

// `stream` must be closed; on success it is connected (and secured), with TCP_NODELAY.
asio::awaitable<DialResult> dial_target(SocketStream& stream, const TargetDial& dial, Deadline& deadline,
                                        core::BufferPool& buffers);

}  // namespace fulcrum::http
