#pragma once
// The HTTP/2 side of one client connection (RFC 9113), transport-free: received bytes go in
// through receive(), bytes to send come out of output(), and the owner moves them over its
// socket, plain or TLS. nghttp2 does the wire format, HPACK, the stream states and flow control.
//
// Requests come out as complete heads (H2Request, which writes itself as HTTP/1.1 for the
// proxy) followed by their body pieces; responses go in per stream as a status, fields and
// body pieces. Request bodies are flow-controlled by the owner: a stream's window only opens
// again when the owner says it has passed the bytes on (body_consumed), so a slow target
// slows its client instead of growing a buffer. Response bodies queue per stream until the
// client's window takes them (queued_body() tells the owner when to stop reading the target).
//
// Limits toward the client: SETTINGS_MAX_CONCURRENT_STREAMS (streams over it are refused by
// nghttp2) and SETTINGS_MAX_HEADER_LIST_SIZE (a larger head is answered 431); a protocol
// error ends the connection with GOAWAY. Against "rapid reset" (CVE-2023-44487: open a
// stream, cancel it, repeat, so the server starts work nobody waits for), the client's
// RST_STREAM frames draw on a budget that refills at a fixed rate; a client over it gets
// GOAWAY ENHANCE_YOUR_CALM. And a connection serves at most max_streams requests, then a
// graceful GOAWAY makes the client open a new one (nginx keepalive_requests).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/h2/h2_request.hpp"

struct nghttp2_session;

namespace fulcrum::http {

class H2ServerSession {
 public:
  struct Limits {
    uint32_t max_concurrent_streams = 100;
    uint32_t max_header_list_bytes = 64 * 1024;
    uint32_t initial_window_bytes = 256 * 1024;  // per stream, for request bodies
    uint32_t max_streams = 10000;                // per connection, then graceful GOAWAY
    uint32_t reset_burst = 200;                  // client resets allowed at once ...
    uint32_t resets_per_second = 100;            // ... and refilled at this rate
  };

  class Events {
   public:
    virtual ~Events() = default;
    // A request head is complete and passed the checks (h2_request_problem).
    virtual void on_request(int32_t stream, const H2Request& request) = 0;
    // A piece of its body, then one empty piece with `end` (not called when the HEADERS
    // frame ended the stream: H2Request::end_stream).
    virtual void on_body(int32_t stream, std::string_view data, bool end) = 0;
    // The stream is over: answered in full, reset by either side, or the connection ended.
    virtual void on_stream_closed(int32_t stream, uint32_t error_code) = 0;
  };

  H2ServerSession(Events& events, Limits limits);
  // Ends every stream without calling Events: the owner is going too.
  ~H2ServerSession();
  H2ServerSession(const H2ServerSession&) = delete;
  H2ServerSession& operator=(const H2ServerSession&) = delete;

  // Feeds bytes from the client (the connection preface first). False: a connection error;
  // what is left in output() (a GOAWAY) should still be sent before closing.
  bool receive(std::string_view bytes);

  // The next bytes to send (empty when nothing is due); valid until the next call of any
  // member. Call sent() with how many of them went out.
  std::string_view output();
  void sent(size_t n);

  // The response head; `end_stream` when it has no body. False if the stream is gone.
  bool respond(int32_t stream, uint16_t status, const std::vector<std::pair<std::string, std::string>>& fields,
               bool end_stream);
  // A piece of the response body; `end` closes the stream after it. False if the stream is gone.
  bool send_body(int32_t stream, std::string_view data, bool end);
  // Response body bytes queued for `stream` that the client's window has not taken yet.
  size_t queued_body(int32_t stream) const;
  // The owner passed `n` request body bytes of `stream` on: the client may send that many more.
  void body_consumed(int32_t stream, size_t n);
  // Ends one stream (RST_STREAM with `error_code`, e.g. 0x2 INTERNAL_ERROR when the target failed).
  void reset(int32_t stream, uint32_t error_code);

  // Graceful end: GOAWAY naming the last stream taken; streams under way finish.
  void shut_down();
  // Nothing more to read or write: the connection can close.
  bool finished() const;

  size_t open_streams() const { return streams_.size(); }
  // The client spent its reset budget: the connection is ending with ENHANCE_YOUR_CALM.
  bool calm_exceeded() const { return calm_exceeded_; }

 private:
  struct Stream {
    H2Request request;
    std::string body_out;  // response body waiting for the client's window
    size_t body_out_begin = 0;
    bool body_out_end = false;
    bool head_too_large = false;
    bool delivered = false;  // the owner got on_request for it
  };
  friend struct H2Callbacks;

  Stream* stream(int32_t id);
  const Stream* stream(int32_t id) const;
  // A client RST_STREAM: false when it overdrew the budget.
  bool take_reset(int64_t now_ms);

  Events& events_;
  Limits limits_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  const uint8_t* out_data_ = nullptr;
  size_t out_size_ = 0;
  size_t out_sent_ = 0;
  uint32_t requests_ = 0;
  double reset_tokens_ = 0;
  int64_t reset_refilled_ms_ = 0;
  bool calm_exceeded_ = false;
};

}  // namespace fulcrum::http
