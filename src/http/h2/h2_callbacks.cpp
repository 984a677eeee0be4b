#include "http/h2/h2_callbacks.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "core/clock.hpp"
#include "http/h2/h2_server_session.hpp"

namespace fulcrum::http {

// The callbacks, with the session as user data; a friend of H2ServerSession.
struct H2Callbacks {
  static H2ServerSession& self(void* user_data) { return *static_cast<H2ServerSession*>(user_data); }

  // Frames that do no work for the client but cost ours draw on the control budget, counted
  // from their header so that ones nghttp2 then drops (WINDOW_UPDATE for a closed stream)
  // count too. Returning a failure stops nghttp2 reading at once; GOAWAY is queued.
  static int on_begin_frame(nghttp2_session* ng, const nghttp2_frame_hd* hd, void* user_data) {
    H2ServerSession& session = self(user_data);
    bool counted = false;
    switch (hd->type) {
      case NGHTTP2_DATA:  // empty and not the end of the body: moves nothing
        counted = hd->length == 0 && (hd->flags & NGHTTP2_FLAG_END_STREAM) == 0;
        break;
      case NGHTTP2_PRIORITY:
      case NGHTTP2_SETTINGS:
      case NGHTTP2_PING:
      case NGHTTP2_WINDOW_UPDATE:
        counted = true;
        break;
      default:
        break;
    }
    if (counted && !session.control_frames_.take(core::now_ms())) {
      session.calm_down(H2Abuse::control_frames);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    // A new stream's identifier must be above every one opened (§5.1.1): HEADERS on a lower
    // one that never opened a stream is a connection error, which nghttp2 lets pass.
    if (hd->type == NGHTTP2_HEADERS && (hd->stream_id & 1) == 1 && session.opened_.never_opened(hd->stream_id) &&
        nghttp2_session_find_stream(ng, hd->stream_id) == nullptr) {
      nghttp2_session_terminate_session(ng, NGHTTP2_PROTOCOL_ERROR);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    self(user_data).opened_.opened(frame->hd.stream_id);
    self(user_data).streams_[frame->hd.stream_id] = std::make_unique<H2ServerSession::Stream>();
    return 0;
  }

  // Decoded fields one by one: the size limit counts what HPACK expanded, not what came over
  // the wire, so a bomb (one big literal in the dynamic table, referenced by one-byte indexes
  // many times) costs its stream a 431 and nothing is kept of it.
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
                       const uint8_t* value, size_t value_length, uint8_t, void* user_data) {
    H2ServerSession& session = self(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // trailers
    H2ServerSession::Stream* stream = session.stream(frame->hd.stream_id);
    if (stream == nullptr || stream->head_too_large) return 0;
    stream->request.add(std::string_view(reinterpret_cast<const char*>(name), name_length),
                        std::string_view(reinterpret_cast<const char*>(value), value_length));
    if (stream->request.field_bytes > session.limits_.max_header_list_bytes) {
      stream->head_too_large = true;
      stream->request = H2Request();  // the memory goes now, not when the stream ends
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* ng, const nghttp2_frame* frame, void* user_data) {
    H2ServerSession& session = self(user_data);
    const int32_t id = frame->hd.stream_id;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_RST_STREAM && !session.resets_.take(core::now_ms())) {
      session.calm_down(H2Abuse::resets);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    // DATA made of padding only is as empty as a zero-length one (counted on its header).
    if (frame->hd.type == NGHTTP2_DATA && !end_stream && frame->hd.length > 0 &&
        frame->hd.length == frame->data.padlen && !session.control_frames_.take(core::now_ms())) {
      session.calm_down(H2Abuse::control_frames);
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    H2ServerSession::Stream* stream = session.stream(id);
    if (stream == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      if (stream->head_too_large) {
        static constexpr char kStatus[] = ":status", k431[] = "431";
        const nghttp2_nv status{reinterpret_cast<uint8_t*>(const_cast<char*>(kStatus)),
                                reinterpret_cast<uint8_t*>(const_cast<char*>(k431)), 7, 3, NGHTTP2_NV_FLAG_NONE};
        nghttp2_submit_response(ng, id, &status, 1, nullptr);
        return 0;
      }
      if (h2_request_problem(stream->request)) {
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
        return 0;
      }
      stream->request.end_stream = end_stream;
      stream->delivered = true;
      // The last request this connection takes: GOAWAY names it, the client opens a new one.
      if (++session.requests_ == session.limits_.max_streams) session.shut_down();
      session.events_.on_request(id, stream->request);
      return 0;
    }
    // The end of a body: on its last DATA frame, or on trailers (not forwarded).
    if (end_stream && stream->delivered && (frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS)) {
      session.events_.on_body(id, {}, true);
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* ng, uint8_t, int32_t id, const uint8_t* data, size_t length,
                           void* user_data) {
    H2ServerSession& session = self(user_data);
    H2ServerSession::Stream* stream = session.stream(id);
    if (stream == nullptr || !stream->delivered) {
      nghttp2_session_consume(ng, id, length);  // nobody will pass these on: keep the windows open
      return 0;
    }
    session.events_.on_body(id, std::string_view(reinterpret_cast<const char*>(data), length), false);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* user_data) {
    H2ServerSession& session = self(user_data);
    auto it = session.streams_.find(id);
    if (it == session.streams_.end()) return 0;
    const bool delivered = it->second->delivered;
    session.streams_.erase(it);
    if (delivered) session.events_.on_stream_closed(id, error_code);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buffer, size_t length, uint32_t* flags,
                           nghttp2_data_source*, void* user_data) {
    H2ServerSession& session = self(user_data);
    H2ServerSession::Stream* stream = session.stream(id);
    if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t available = stream->body_out.size() - stream->body_out_begin;
    const size_t n = std::min(length, available);
    if (n == 0 && !stream->body_out_end) return NGHTTP2_ERR_DEFERRED;
    std::memcpy(buffer, stream->body_out.data() + stream->body_out_begin, n);
    stream->body_out_begin += n;
    if (stream->body_out_begin == stream->body_out.size()) {
      stream->body_out.clear();  // keeps its capacity for the next piece
      stream->body_out_begin = 0;
      if (stream->body_out_end) *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    // A client reading this sends WINDOW_UPDATEs for it: one per KiB is not a flood.
    session.control_frames_.refund(static_cast<double>(n) / 1024.0);
    return static_cast<ssize_t>(n);
  }
};

// No on_invalid_header callback on purpose: without one, nghttp2 resets the stream of a field
// it finds invalid (a name with other bytes than lower-case tchars, a value with CR, LF, NUL,
// other controls or surrounding whitespace) instead of dropping the field and forwarding the
// rest: RFC 9113 §8.2.1 calls such a request malformed (tests: H2Smuggling.*).
nghttp2_session_callbacks* h2_server_callbacks() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &H2Callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &H2Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &H2Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &H2Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &H2Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &H2Callbacks::on_stream_close);
  return callbacks;
}

nghttp2_data_source_read_callback h2_body_reader() { return &H2Callbacks::read_body; }

}  // namespace fulcrum::http
