#pragma once
// One fuzz input through H2ServerSession as a connection's bytes after the client preface
// (prepended here), with an owner that answers every request with a small response and body,
// resets some, and passes request body bytes on. Checks invariants that must hold for every
// input; shared by the libFuzzer target (h2_frames_fuzz.cpp) and by unit_http, which replays
// the seed corpus (tests/fuzz/corpus/h2/) in every `make test`. Returns "" or the broken
// invariant.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "http/h1/request_head.hpp"
#include "http/h1/request_parser.hpp"
#include "http/h2/h2_request.hpp"
#include "http/h2/h2_server_session.hpp"

namespace fulcrum::http::h2_fuzz {

// The HTTP/1.1 form must be one complete, clean head to our own parser, framed as the stream
// is: what reaches a target can only be what the client sent, never a second request.
inline std::string check_http1_form(const H2Request& request) {
  std::string head;
  write_http1_head(request, head);
  ParserLimits limits;
  limits.max_request_line = 1 << 20;
  limits.max_header_bytes = 1 << 20;
  limits.max_headers = 4096;
  static std::array<Header, 4096> storage;
  RequestHead parsed(storage);
  RequestParser parser(limits);
  const ParseResult r = parser.parse(head, parsed);
  if (!r.complete()) return "HTTP/1.1 form refused by the request parser: " + head;
  if (r.head_size != head.size()) return "HTTP/1.1 form is more than one head";
  if (parsed.method != request.method || parsed.target != request.path) return "HTTP/1.1 request line differs";
  const bool has_length = parsed.facts.has_content_length();
  const BodyFraming expected = has_length          ? BodyFraming::content_length
                               : !request.end_stream ? BodyFraming::chunked
                                                     : BodyFraming::none;
  if (parsed.framing != expected) return "HTTP/1.1 framing differs from the stream's";
  return {};
}

class H2FuzzOwner : public H2ServerSession::Events {
 public:
  struct Stream {
    bool ended = false;
    bool closed = false;
    bool has_length = false;
    uint64_t length = 0;
    uint64_t received = 0;
  };

  void attach(H2ServerSession& server) { server_ = &server; }

  void on_request(int32_t id, const H2Request& request) override {
    if (streams_.count(id) != 0) return fail("on_request twice for a stream");
    if (h2_request_problem(request)) return fail("on_request for a request with a problem");
    if (std::string e = check_http1_form(request); !e.empty()) return fail(e);
    Stream& s = streams_[id];
    s.ended = request.end_stream;
    for (const auto& [name, value] : request.fields) {
      if (name == "content-length") {
        s.has_length = true;
        for (char c : value) s.length = s.length > (uint64_t{1} << 60) ? s.length : s.length * 10 + uint64_t(c - '0');
      }
    }
    // Answers of every shape: head only, head and body, head then reset, reset.
    static const H2Field fields[] = {{"Content-Type", "text/plain"}, {"connection", "close"}, {"x-id", "1"}};
    switch ((id / 2) % 4) {
      case 0:
        server_->respond(id, 200, fields, false);
        server_->send_body(id, "hello ", false);
        server_->send_body(id, "world", true);
        break;
      case 1:
        server_->respond(id, 204, fields, true);
        break;
      default:
        if ((id / 2) % 4 == 2) {
          server_->reset(id, 2);
        } else {
          server_->respond(id, 503, {}, false);
          server_->send_body(id, std::string(20000, 'x'), true);
        }
    }
  }

  void on_body(int32_t id, std::string_view data, bool end) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return fail("on_body before on_request");
    Stream& s = it->second;
    if (s.ended) return fail("on_body after the end of the body");
    if (s.closed) return fail("on_body after the stream closed");
    s.received += data.size();
    if (s.has_length && s.received > s.length) return fail("more body than its content-length");
    if (end) {
      if (!data.empty()) return fail("data with the end");
      if (s.has_length && s.received != s.length) return fail("body ended short of its content-length");
      s.ended = true;
    }
    server_->body_consumed(id, data.size());
  }

  void on_stream_closed(int32_t id, uint32_t) override {
    auto it = streams_.find(id);
    if (it == streams_.end()) return fail("on_stream_closed for a stream never delivered");
    if (it->second.closed) return fail("on_stream_closed twice");
    it->second.closed = true;
  }

  const std::string& broken() const { return broken_; }

 private:
  void fail(std::string what) {
    if (broken_.empty()) broken_ = std::move(what);
  }

  H2ServerSession* server_ = nullptr;
  std::map<int32_t, Stream> streams_;
  std::string broken_;
};

// Takes everything the server has to say; false if it never stops talking.
inline bool drain(H2ServerSession& server) {
  for (int i = 0; i < 100000; ++i) {
    const std::string_view out = server.output();
    if (out.empty()) return true;
    server.sent(out.size());
  }
  return false;
}

inline std::string run_one(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  // The last byte picks how the input is cut into reads (1..255 bytes, or 0: all at once).
  const size_t step = size == 0 || bytes[size - 1] == 0 ? size + 1 : bytes[size - 1];
  H2FuzzOwner owner;
  H2ServerSession::Limits limits;
  limits.max_header_list_bytes = 4096;  // 431s within reach
  limits.initial_window_bytes = 16384;
  limits.control_frame_burst = 200;
  limits.reset_burst = 50;
  limits.max_streams = 50;
  H2ServerSession server(owner, limits);
  owner.attach(server);
  if (!server.receive("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) return "the preface was refused";
  bool open = true;
  for (size_t at = 0; at < size && open; at += step) {
    open = server.receive(data.substr(at, step));
    if (!drain(server)) return "output never drains";
    if (!owner.broken().empty()) return owner.broken();
  }
  if (!open && server.receive("\0\0\0\4\0\0\0\0\0")) return "bytes taken after the connection ended";
  if (!drain(server)) return "output never drains";
  return owner.broken();
}

}  // namespace fulcrum::http::h2_fuzz
