#pragma once
// PROXY protocol v1 (text) and v2 (binary), as specified by HAProxy's proxy-protocol.txt:
// written toward targets so they see the real client address, and parsed strictly from
// clients on listeners with `accept_proxy_protocol: true`.
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "core/endpoint.hpp"

namespace fulcrum::l4 {

// Enough for either version's header as we write it (v1 is at most 107 bytes, v2 IPv6 52).
inline constexpr size_t kProxyHeaderMaxWrite = 108;
// The most we accept from a client: the v2 fixed part plus addresses and TLVs (AWS NLB sends
// a few TLVs); larger announcements are refused rather than buffered.
inline constexpr size_t kProxyHeaderMaxRead = 16 + 4096;

// Writes a header announcing a connection from source to destination; returns its length.
// Mixed families (IPv4 client on an IPv6 listener) are written as IPv6 with mapped addresses.
size_t write_proxy_v1(char* out, const core::Endpoint& source, const core::Endpoint& destination);
size_t write_proxy_v2(char* out, const core::Endpoint& source, const core::Endpoint& destination);

struct ProxyHeader {
  size_t length = 0;    // bytes the header occupies at the start of the stream
  bool local = false;   // v2 LOCAL or v1 UNKNOWN: keep the connection's own addresses
  std::optional<core::Endpoint> source;
  std::optional<core::Endpoint> destination;
  int version = 0;
};

enum class ProxyParse { need_more, done, error };

// Parses the header at the start of data. need_more: data is a valid prefix so far;
// error: `error` says why in words fit for a log line.
ProxyParse parse_proxy_header(std::span<const char> data, ProxyHeader& header, std::string& error);

}  // namespace fulcrum::l4
