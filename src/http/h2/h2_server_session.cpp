#include "http/h2/h2_server_session.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/clock.hpp"
#include "http/h1/header.hpp"

namespace fulcrum::http {
namespace {

// Fields of HTTP/1.1 that HTTP/2 forbids (RFC 9113 §8.2.2): dropped from a target's response.
bool connection_specific(std::string_view name) {
  switch (identify_header(name)) {
    case HeaderId::connection:
    case HeaderId::keep_alive:
    case HeaderId::proxy_connection:
    case HeaderId::transfer_encoding:
    case HeaderId::upgrade:
      return true;
    default:
      return false;
  }
}

nghttp2_nv field(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// nghttp2's callbacks, with the session as user data.
struct H2Callbacks {
  static H2ServerSession& self(void* user_data) { return *static_cast<H2ServerSession*>(user_data); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    self(user_data).streams_[frame->hd.stream_id] = std::make_unique<H2ServerSession::Stream>();
    return 0;
  }

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
    if (frame->hd.type == NGHTTP2_RST_STREAM && !session.take_reset(core::now_ms())) {
      session.calm_exceeded_ = true;
      nghttp2_session_terminate_session(ng, NGHTTP2_ENHANCE_YOUR_CALM);
      return 0;
    }
    H2ServerSession::Stream* stream = session.stream(id);
    if (stream == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      if (stream->head_too_large) {
        static const std::string kStatus = ":status", k431 = "431";
        const nghttp2_nv status = field(kStatus, k431);
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
    H2ServerSession::Stream* stream = self(user_data).stream(id);
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
    return static_cast<ssize_t>(n);
  }
};

H2ServerSession::H2ServerSession(Events& events, Limits limits)
    : events_(events), limits_(limits), reset_tokens_(limits.reset_burst), reset_refilled_ms_(core::now_ms()) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &H2Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &H2Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &H2Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &H2Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &H2Callbacks::on_stream_close);
  nghttp2_option* options = nullptr;
  nghttp2_option_new(&options);
  // Request body windows open only as the owner passes bytes on (body_consumed).
  nghttp2_option_set_no_auto_window_update(options, 1);
  nghttp2_session_server_new2(&session_, callbacks, this, options);
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(callbacks);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.initial_window_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_list_bytes},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // The connection's window: room for a few streams' bodies at once (the default is 64 KiB).
  const uint64_t connection_window =
      std::min<uint64_t>(uint64_t{limits_.initial_window_bytes} * 4, NGHTTP2_MAX_WINDOW_SIZE);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, static_cast<int32_t>(connection_window));
}

H2ServerSession::~H2ServerSession() { nghttp2_session_del(session_); }

H2ServerSession::Stream* H2ServerSession::stream(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

const H2ServerSession::Stream* H2ServerSession::stream(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

bool H2ServerSession::take_reset(int64_t now_ms) {
  const double refill = static_cast<double>(now_ms - reset_refilled_ms_) * limits_.resets_per_second / 1000.0;
  reset_tokens_ = std::min<double>(limits_.reset_burst, reset_tokens_ + refill);
  reset_refilled_ms_ = now_ms;
  if (reset_tokens_ < 1) return false;
  reset_tokens_ -= 1;
  return true;
}

bool H2ServerSession::receive(std::string_view bytes) {
  const ssize_t result =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return result >= 0 && !calm_exceeded_;
}

std::string_view H2ServerSession::output() {
  if (out_sent_ >= out_size_) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    out_data_ = data;
    out_size_ = n > 0 ? static_cast<size_t>(n) : 0;
    out_sent_ = 0;
  }
  return std::string_view(reinterpret_cast<const char*>(out_data_) + out_sent_, out_size_ - out_sent_);
}

void H2ServerSession::sent(size_t n) { out_sent_ = std::min(out_size_, out_sent_ + n); }

bool H2ServerSession::respond(int32_t id, uint16_t status, const std::vector<std::pair<std::string, std::string>>& fields,
                              bool end_stream) {
  if (stream(id) == nullptr) return false;
  const std::string status_name = ":status", status_text = std::to_string(status);
  std::vector<std::string> lower_names;
  lower_names.reserve(fields.size());
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size() + 1);
  nva.push_back(field(status_name, status_text));
  for (const auto& [name, value] : fields) {
    if (connection_specific(name)) continue;
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    lower_names.push_back(std::move(lower));
    nva.push_back(field(lower_names.back(), value));
  }
  nghttp2_data_provider body{};
  body.read_callback = &H2Callbacks::read_body;
  // nghttp2 copies the names and values before returning.
  return nghttp2_submit_response(session_, id, nva.data(), nva.size(), end_stream ? nullptr : &body) == 0;
}

bool H2ServerSession::send_body(int32_t id, std::string_view data, bool end) {
  Stream* s = stream(id);
  if (s == nullptr) return false;
  s->body_out.append(data);
  s->body_out_end = end;
  nghttp2_session_resume_data(session_, id);  // an error only means it was not waiting
  return true;
}

size_t H2ServerSession::queued_body(int32_t id) const {
  const Stream* s = stream(id);
  return s == nullptr ? 0 : s->body_out.size() - s->body_out_begin;
}

void H2ServerSession::body_consumed(int32_t id, size_t n) { nghttp2_session_consume(session_, id, n); }

void H2ServerSession::reset(int32_t id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code);
}

void H2ServerSession::shut_down() {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(session_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
}

bool H2ServerSession::finished() const {
  return nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0 &&
         out_sent_ >= out_size_;
}

}  // namespace fulcrum::http
