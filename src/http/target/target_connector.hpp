#pragma once
// Where an exchange's connection to a target comes from and goes back to. The exchange (its
// forward and retry loop) reads and writes the connection as a ByteStream and never sees what
// carries it; PooledConnector (pooled_connector.hpp) is the worker's (keep-alive pool, new TCP
// or TLS connections), tests put streams of their own behind the same interface. One
// connection at a time: taking or dialing replaces the current one, which must have been
// dropped or given back.
#include <asio/awaitable.hpp>
#include <asio/error_code.hpp>

#include <string_view>

#include "http/stream/byte_stream.hpp"
#include "http/stream/deadline_watch.hpp"
#include "upstream/snapshot.hpp"

namespace fulcrum::http {

// How opening a connection to a target went.
struct DialResult {
  asio::error_code error;      // none, asio::error::timed_out, or asio::error::connection_refused
  bool tcp_connected = false;  // TCP got through (counted as a connection opened to the target)
  bool tls_failed = false;     // the TLS handshake was tried and failed
  // Why it failed, for the log; may point into the stream's TLS state: read it before closing.
  std::string_view reason;
};

class TargetConnector {
 public:
  // The current connection (after take_pooled() or a successful dial()).
  virtual ByteStream& stream() = 0;
  // An idle keep-alive connection to `target`, now the current one; false if there is none.
  // `replayable`: the request can be resent on a new connection if this one turns out closed.
  virtual bool take_pooled(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target, int64_t now_ms,
                           bool replayable) = 0;
  // A new connection to `target` of the group at `group_index`, now the current one, within
  // the group's connect_timeout (TLS included for https groups).
  virtual asio::awaitable<DialResult> dial(size_t group_index, const upstream::GroupSnapshot& group,
                                           const upstream::TargetInfo& target, Deadline& deadline) = 0;
  // The current connection, its response read whole, kept for another request.
  virtual void give_back(const upstream::GroupSnapshot& group, const upstream::TargetInfo& target) = 0;
  // Closes the current connection.
  virtual void drop() = 0;

 protected:
  ~TargetConnector() = default;
};

}  // namespace fulcrum::http
