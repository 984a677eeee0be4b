#pragma once
// Writes the heads Fulcrum sends: the request head toward a target (hop-by-hop fields removed,
// forwarding fields added) and the response head toward the client. Into a caller-provided
// fixed buffer, never allocating; overflowed() tells the caller the buffer was too small.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/h1/request_head.hpp"
#include "http/h1/response_head.hpp"

namespace fulcrum::http {

class HeadWriter {
 public:
  HeadWriter(char* data, size_t capacity) : data_(data), capacity_(capacity) {}
  void append(std::string_view text);
  void append_decimal(uint64_t value);
  void append_header(std::string_view name, std::string_view value);
  std::string_view view() const { return {data_, size_}; }
  size_t size() const { return size_; }
  bool overflowed() const { return overflowed_; }

 private:
  char* data_;
  size_t capacity_;
  size_t size_ = 0;
  bool overflowed_ = false;
};

struct RequestForwarding {
  std::string_view client_ip;
  std::string_view proto = "http";  // X-Forwarded-Proto
  uint16_t listen_port = 0;         // X-Forwarded-Port
  std::string_view request_id;      // sent as X-Request-Id when the client sent none
  bool close = false;               // Connection: close toward the target (no reuse)
  bool keep_upgrade = false;        // forward Upgrade/Connection: upgrade (WebSocket)
  bool drop_expect = false;         // Expect: 100-continue is answered by Fulcrum
  bool add_forwarded = false;       // RFC 7239 Forwarded
  bool add_via = false;
  // Host for a request that has none (HTTP/1.0 allows that; the HTTP/1.1 request sent on
  // must carry one, RFC 9112 3.2): the address the client connected to.
  std::string_view host_when_missing;
};

// True for fields that describe one hop and must not be forwarded: the RFC 9110 §7.6.1 list
// and every field named by the message's Connection fields.
bool is_hop_by_hop(const Header& header, std::span<const Header> all);

void write_request_head(HeadWriter& out, const RequestHead& head, const RequestForwarding& forwarding);

struct ResponseForwarding {
  bool close = false;          // Connection: close toward the client
  bool http10_client = false;  // Connection: keep-alive must be explicit for HTTP/1.0 clients
  bool dechunk = false;        // HTTP/1.0 client and a chunked response: drop Transfer-Encoding
  bool keep_upgrade = false;   // 101: forward Upgrade and Connection: upgrade
  std::string_view set_cookie;  // an extra Set-Cookie value (stickiness), empty: none
};

void write_response_head(HeadWriter& out, const ResponseHead& head, const ResponseForwarding& forwarding);

}  // namespace fulcrum::http
