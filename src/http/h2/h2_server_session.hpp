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
// nghttp2) and SETTINGS_MAX_HEADER_LIST_SIZE (a head whose DECODED fields pass it is answered
// 431, so an HPACK bomb costs its stream only); a protocol error ends the connection with
// GOAWAY. And a connection serves at most max_streams requests, then a graceful GOAWAY makes
// the client open a new one (nginx keepalive_requests).
//
// Floods (each ends the connection with GOAWAY ENHANCE_YOUR_CALM, see abuse()):
//  - rapid reset (CVE-2023-44487: open a stream, cancel it, repeat, so the server starts work
//    nobody waits for): the client's RST_STREAM frames draw on a budget refilled at a fixed rate;
//  - SETTINGS, PING, PRIORITY, WINDOW_UPDATE and empty DATA frames (CVE-2019-9512/9513/9515/
//    9518): they draw on a second budget, which response data refunds (a client reading a
//    large body legitimately sends WINDOW_UPDATEs as it goes);
//  - ACKs piling up because the client sends PINGs or SETTINGS and does not read (nghttp2's
//    max_outbound_ack);
//  - a header block in more than max_continuations CONTINUATION frames (CVE-2024-28182).
// SETTINGS frames with more than max_settings_entries entries get the same GOAWAY from nghttp2.
// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441) is never advertised: CONNECT is not proxied.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/h2/h2_flood_budget.hpp"
#include "http/h2/h2_field.hpp"
#include "http/h2/h2_request.hpp"
#include "http/h2/idle_frame_memory.hpp"
#include "http/h2/opened_streams.hpp"

struct nghttp2_session;

namespace fulcrum::http {

// Why the session ended the connection with ENHANCE_YOUR_CALM.
enum class H2Abuse : uint8_t {
  none,
  resets,          // RST_STREAM past its budget (rapid reset)
  control_frames,  // SETTINGS/PING/PRIORITY/WINDOW_UPDATE/empty DATA past their budget
  unread_acks,     // more than max_queued_acks SETTINGS/PING ACKs waiting for a client that does not read
  continuations,   // a header block in more than max_continuations CONTINUATION frames
};

class H2ServerSession {
 public:
  struct Limits {
    uint32_t max_concurrent_streams = 100;
    uint32_t max_header_list_bytes = 64 * 1024;
    uint32_t initial_window_bytes = 256 * 1024;  // per stream, for request bodies
    // Per connection, then a graceful GOAWAY (nginx keepalive_requests; HAProxy has no limit).
    // High: h2load and other clients that never reconnect would stop at it.
    uint32_t max_streams = 1000000;
    uint32_t reset_burst = 200;                  // client resets allowed at once ...
    uint32_t resets_per_second = 100;            // ... and refilled at this rate
    // SETTINGS/PING/PRIORITY/WINDOW_UPDATE/empty DATA frames allowed at once, refilled at this
    // rate and by one per KiB of response data sent. Browsers send a handful per page; a
    // download over 64 KiB windows sends about one WINDOW_UPDATE per 16 KiB (refunded).
    uint32_t control_frame_burst = 1000;
    uint32_t control_frames_per_second = 100;
    uint32_t max_queued_acks = 1000;      // SETTINGS/PING ACKs not yet taken by output()
    uint32_t max_settings_entries = 32;   // per SETTINGS frame (clients send under 10)
    uint32_t max_continuations = 8;       // CONTINUATION frames after one HEADERS
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
    // A request body that got no on_body(end) before this is incomplete (e.g. its DATA
    // contradicted its content-length: PROTOCOL_ERROR): the target connection carrying it
    // must not be reused.
    virtual void on_stream_closed(int32_t stream, uint32_t error_code) = 0;
  };

  H2ServerSession(Events& events, Limits limits);
  // Ends every stream without calling Events: the owner is going too.
  ~H2ServerSession();
  H2ServerSession(const H2ServerSession&) = delete;
  H2ServerSession& operator=(const H2ServerSession&) = delete;

  // Feeds bytes from the client (the connection preface first). False: a connection error or
  // a flood; what is left in output() (a GOAWAY) should still be sent before closing, and
  // nothing more is read.
  bool receive(std::string_view bytes);

  // The next bytes to send (empty when nothing is due); valid until the next call of any
  // member. Call sent() with how many of them went out.
  std::string_view output();
  void sent(size_t n);

  // The response head; `end_stream` when it has no body. False if the stream is gone or the
  // status is not three digits. Names are lower-cased on the way out and connection-specific
  // fields (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade) dropped; the
  // fields are copied before the call returns, without an allocation per field.
  bool respond(int32_t stream, uint16_t status, std::span<const H2Field> fields, bool end_stream);
  bool respond(int32_t stream, uint16_t status, std::initializer_list<H2Field> fields, bool end_stream) {
    return respond(stream, status, std::span<const H2Field>(fields.begin(), fields.size()), end_stream);
  }
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
  // The connection is idle: nghttp2's frame buffer goes back to the kernel until the next frame
  // (IdleFrameMemory). False, and nothing done, while anything waits to be sent.
  bool release_idle_memory();
  size_t idle_releasable_bytes() const { return memory_.releasable_bytes(); }

  size_t open_streams() const { return streams_.size(); }
  // The client flooded the connection: it is ending with ENHANCE_YOUR_CALM.
  bool calm_exceeded() const { return abuse_ != H2Abuse::none; }
  H2Abuse abuse() const { return abuse_; }

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
  // Ends the connection with GOAWAY ENHANCE_YOUR_CALM for `why`.
  void calm_down(H2Abuse why);

  Events& events_;
  Limits limits_;
  IdleFrameMemory memory_;  // nghttp2's allocator: outlives session_ (deleted in the destructor's body)
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  const uint8_t* out_data_ = nullptr;
  size_t out_size_ = 0;
  size_t out_sent_ = 0;
  uint32_t requests_ = 0;
  OpenedStreams opened_;  // client stream identifiers that opened a stream (§5.1.1)
  H2FloodBudget resets_;
  H2FloodBudget control_frames_;
  H2Abuse abuse_ = H2Abuse::none;
  bool broken_ = false;  // nghttp2 gave up: no more bytes go in
};

}  // namespace fulcrum::http
