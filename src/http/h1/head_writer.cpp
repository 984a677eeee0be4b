#include "http/h1/head_writer.hpp"

#include <cstring>

#include "http/h1/token_list.hpp"

namespace fulcrum::http {

void HeadWriter::append(std::string_view text) {
  if (text.empty()) return;  // an empty view may carry a null pointer, which memcpy must not see
  if (overflowed_ || text.size() > capacity_ - size_) {
    overflowed_ = true;
    return;
  }
  std::memcpy(data_ + size_, text.data(), text.size());
  size_ += text.size();
}

void HeadWriter::append_decimal(uint64_t value) {
  char digits[20];
  size_t n = 0;
  do {
    digits[sizeof digits - 1 - n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  append({digits + sizeof digits - n, n});
}

void HeadWriter::append_header(std::string_view name, std::string_view value) {
  append(name);
  append(": ");
  append(value);
  append("\r\n");
}

bool is_hop_by_hop(const Header& header, std::span<const Header> all) {
  switch (header.id) {
    case HeaderId::connection:
    case HeaderId::keep_alive:
    case HeaderId::proxy_connection:
    case HeaderId::te:
    case HeaderId::upgrade:
      return true;
    case HeaderId::host:
    case HeaderId::content_length:
    case HeaderId::transfer_encoding:
      return false;  // framing and Host are never removable by a Connection token
    default:
      break;
  }
  for (const Header& h : all) {
    if (h.id != HeaderId::connection) continue;
    bool named = false;
    for_each_list_element(h.value, [&](std::string_view token) {
      if (token.size() != header.name.size()) return;
      for (size_t i = 0; i < token.size(); ++i) {
        if (to_lower(token[i]) != to_lower(header.name[i])) return;
      }
      named = true;
    });
    if (named) return true;
  }
  return false;
}

void write_request_head(HeadWriter& out, const RequestHead& head, const RequestForwarding& forwarding) {
  out.append(head.method);
  out.append(" ");
  out.append(head.target);
  out.append(" HTTP/1.1\r\n");
  const auto all = head.headers();
  bool content_length_written = false;
  bool have_request_id = false;
  std::string_view host;
  for (const Header& h : all) {
    if (h.id == HeaderId::upgrade && forwarding.keep_upgrade) {
      out.append_header(h.name, h.value);
      continue;
    }
    if (is_hop_by_hop(h, all)) continue;
    switch (h.id) {
      case HeaderId::content_length:
        // RFC 9112 §6.3: never beside Transfer-Encoding; one copy of identical duplicates.
        if (head.must_drop_content_length() || content_length_written) continue;
        content_length_written = true;
        break;
      case HeaderId::x_forwarded_for:
      case HeaderId::x_forwarded_proto:
      case HeaderId::x_forwarded_port:
      case HeaderId::x_real_ip:
        continue;  // written below: appended to (XFF) or replaced (the others)
      case HeaderId::x_request_id:
        have_request_id = true;
        break;
      case HeaderId::expect:
        if (forwarding.drop_expect) continue;
        break;
      case HeaderId::host:
        host = h.value;
        break;
      default:
        break;
    }
    out.append_header(h.name, h.value);
  }
  if (head.host_index < 0 && !forwarding.host_when_missing.empty()) {
    host = forwarding.host_when_missing;
    out.append_header("Host", host);
  }
  // X-Forwarded-For: the client's list (every field line, in order) and then the client.
  out.append("X-Forwarded-For: ");
  for (const Header& h : all) {
    if (h.id != HeaderId::x_forwarded_for || h.value.empty()) continue;
    out.append(h.value);
    out.append(", ");
  }
  out.append(forwarding.client_ip);
  out.append("\r\nX-Forwarded-Proto: ");
  out.append(forwarding.proto);
  out.append("\r\nX-Forwarded-Port: ");
  out.append_decimal(forwarding.listen_port);
  out.append("\r\nX-Real-IP: ");
  out.append(forwarding.client_ip);
  out.append("\r\n");
  if (!have_request_id && !forwarding.request_id.empty()) out.append_header("X-Request-Id", forwarding.request_id);
  if (forwarding.add_forwarded) {
    // RFC 7239: an IPv6 node is quoted and bracketed.
    const bool v6 = forwarding.client_ip.find(':') != std::string_view::npos;
    out.append("Forwarded: for=");
    out.append(v6 ? "\"[" : "");
    out.append(forwarding.client_ip);
    out.append(v6 ? "]\"" : "");
    out.append(";proto=");
    out.append(forwarding.proto);
    if (!host.empty()) {
      out.append(";host=\"");
      out.append(host);
      out.append("\"");
    }
    out.append("\r\n");
  }
  if (forwarding.add_via) out.append("Via: 1.1 fulcrum\r\n");
  if (forwarding.keep_upgrade) {
    out.append("Connection: upgrade\r\n");
  } else if (forwarding.close) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
}

void write_response_head(HeadWriter& out, const ResponseHead& head, const ResponseForwarding& forwarding) {
  out.append("HTTP/1.1 ");
  out.append_decimal(head.status);
  out.append(" ");
  out.append(head.reason);
  out.append("\r\n");
  const auto all = head.headers();
  for (const Header& h : all) {
    if (h.id == HeaderId::upgrade && forwarding.keep_upgrade) {
      out.append_header(h.name, h.value);
      continue;
    }
    if (is_hop_by_hop(h, all)) continue;
    if (forwarding.dechunk && h.id == HeaderId::transfer_encoding) continue;
    out.append_header(h.name, h.value);
  }
  if (!forwarding.set_cookie.empty()) out.append_header("Set-Cookie", forwarding.set_cookie);
  if (forwarding.keep_upgrade) {
    out.append("Connection: upgrade\r\n");
  } else if (forwarding.close) {
    out.append("Connection: close\r\n");
  } else if (forwarding.http10_client) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace fulcrum::http
