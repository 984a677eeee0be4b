#pragma once
// The HTTP/1.1 reverse proxy: one coroutine per client connection, serving its requests one
// after another (keep-alive; pipelined requests are read one at a time, so answers can never
// be mixed up). For each request: parse and classify (desync defence), route, take a pooled
// connection to a target or open one, forward the rewritten head and stream the body, parse
// the response as strictly and stream it back, return the target connection to the pool, write
// one access-log line. src/http/README.md describes the flow.
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <cstddef>

#include "http/session/http_worker.hpp"

namespace fulcrum::http {

// Accepts on one worker's SO_REUSEPORT socket of an `http` listener until it is closed.
asio::awaitable<void> http_accept_loop(HttpWorker& worker, asio::ip::tcp::acceptor& acceptor, size_t listener_index);

}  // namespace fulcrum::http
