#pragma once
// A parsed response head: views into the target connection's receive buffer.
#include <cstdint>
#include <span>
#include <string_view>

#include "http/h1/body_framing.hpp"
#include "http/h1/framing_facts.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {

struct ResponseHead {
  ResponseHead() = default;
  explicit ResponseHead(std::span<Header> storage) : header_storage(storage) {}

  std::string_view version;  // "HTTP/1.1"
  uint8_t version_major = 1;
  uint8_t version_minor = 1;
  uint16_t status = 0;
  std::string_view reason;  // reason-phrase, possibly empty

  std::span<Header> header_storage;
  uint32_t header_count = 0;

  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;
  bool keep_alive = true;  // the target connection may be reused after this response
  bool upgrade = false;    // 101 Switching Protocols: the connection becomes a tunnel
  bool tunnel = false;     // 2xx to CONNECT: the connection becomes a tunnel
  FramingFacts facts;

  bool interim() const { return status >= 100 && status < 200 && status != 101; }  // 100, 103: more follows
  std::span<const Header> headers() const { return header_storage.first(header_count); }
  const Header* find(HeaderId id) const {
    for (const Header& h : headers()) {
      if (h.id == id) return &h;
    }
    return nullptr;
  }
};

}  // namespace fulcrum::http
