#pragma once
// A parsed request head: views into the caller's receive buffer (valid while those bytes are),
// field lines in the caller's fixed-capacity array, and everything the proxy needs to decide
// about the body and the connection, computed during the one pass over the bytes.
#include <cstdint>
#include <span>
#include <string_view>

#include "http/h1/body_framing.hpp"
#include "http/h1/framing_facts.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {

enum class Method : uint8_t { other, get, head, post, put, delete_, connect, options, trace, patch };

Method identify_method(std::string_view method);  // case-sensitive, as RFC 9110 §9.1 says

enum class Expectation : uint8_t {
  none,
  continue_100,  // "Expect: 100-continue" on HTTP/1.1: answer 100 or forward it
  unsupported,   // any other expectation: answer 417 (RFC 9110 §10.1.1)
};

// What the parser learnt about the bytes of the field names, so that the desync classifier only
// re-reads them when there is something to find.
enum class FieldCheck : uint8_t {
  unknown,        // head built by hand (tests, corpora): the classifier checks every byte
  clean,          // every name is a token and none looks like a framing header
  non_compliant,  // some name holds obs-text/separators/inner whitespace, is empty or a look-alike
};

struct RequestHead {
  RequestHead() = default;
  explicit RequestHead(std::span<Header> storage) : header_storage(storage) {}

  std::string_view method;   // token, e.g. "GET"
  std::string_view target;   // request-target as received
  std::string_view version;  // "HTTP/1.1" as received
  Method method_id = Method::other;
  uint8_t version_major = 1;
  uint8_t version_minor = 1;

  std::span<Header> header_storage;  // the caller's array; its size caps the field lines
  uint32_t header_count = 0;

  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;  // when framing == content_length
  bool keep_alive = true;       // the client may send another request on this connection
  bool upgrade = false;         // Connection: upgrade and an Upgrade field (tunnel after 101)
  Expectation expectation = Expectation::none;
  int32_t host_index = -1;  // the Host field line, -1 when absent

  FramingFacts facts;  // Content-Length / Transfer-Encoding as received
  FieldCheck field_check = FieldCheck::unknown;

  std::span<const Header> headers() const { return header_storage.first(header_count); }
  const Header* find(HeaderId id) const {
    for (const Header& h : headers()) {
      if (h.id == id) return &h;
    }
    return nullptr;
  }
  std::string_view host() const {
    return host_index < 0 ? std::string_view{} : header_storage[static_cast<size_t>(host_index)].value;
  }
  bool is_connect() const { return method_id == Method::connect; }
  // RFC 9112 §6.3: with Transfer-Encoding present, Content-Length must not be forwarded; with
  // duplicate identical Content-Length fields, only one may be.
  bool must_drop_content_length() const { return facts.has_content_length() && framing == BodyFraming::chunked; }
  bool has_duplicate_content_length() const { return facts.content_length_count > 1; }
};

}  // namespace fulcrum::http
